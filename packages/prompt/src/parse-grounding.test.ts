import { internvlQwen2Tokenizer } from '@ivl/synthetic-tokenizers';
import { describe, expect, it } from 'vitest';
import { groundingPrompt, parseGrounding } from './parse-grounding.js';
import { createTokenizer } from './tokenizer.js';

// Answers written out in the form InternVL's grounding examples show them.
describe('parseGrounding', () => {
  it.each([
    [
      'one referred box',
      '<ref>the man in the red hat</ref><box>[[247, 125, 622, 996]]</box>',
      [
        {
          label: 'the man in the red hat',
          boxes: [{ x1: 247, y1: 125, x2: 622, y2: 996 }],
          quads: [],
          points: [],
        },
      ],
    ],
    [
      'several boxes for one reference',
      '<ref>cats</ref><box>[[10, 20, 30, 40], [50, 60, 70, 80]]</box>',
      [
        {
          label: 'cats',
          boxes: [
            { x1: 10, y1: 20, x2: 30, y2: 40 },
            { x1: 50, y1: 60, x2: 70, y2: 80 },
          ],
          quads: [],
          points: [],
        },
      ],
    ],
    [
      'references inside a sentence',
      'There is <ref>a dog</ref><box>[[1,2,3,4]]</box> chasing <ref>a ball</ref> <box>[[5, 6, 7, 8]]</box>.',
      [
        { label: 'a dog', boxes: [{ x1: 1, y1: 2, x2: 3, y2: 4 }], quads: [], points: [] },
        { label: 'a ball', boxes: [{ x1: 5, y1: 6, x2: 7, y2: 8 }], quads: [], points: [] },
      ],
    ],
    [
      'a box with no reference',
      '<box>[[0, 0, 1000, 1000]]</box>',
      [{ label: undefined, boxes: [{ x1: 0, y1: 0, x2: 1000, y2: 1000 }], quads: [], points: [] }],
    ],
    [
      'an OCR quadrilateral',
      '<ref>EXIT</ref><quad>[[100, 100, 300, 110, 295, 200, 98, 190]]</quad>',
      [
        {
          label: 'EXIT',
          boxes: [],
          quads: [
            [
              { x: 100, y: 100 },
              { x: 300, y: 110 },
              { x: 295, y: 200 },
              { x: 98, y: 190 },
            ],
          ],
          points: [],
        },
      ],
    ],
    [
      'a point',
      '<ref>the nose</ref><box>[[512, 300]]</box>',
      [{ label: 'the nose', boxes: [], quads: [], points: [{ x: 512, y: 300 }] }],
    ],
    ['malformed regions, skipped', '<ref>x</ref> and <box>[[1, 2, 3]]</box> and <box>nothing</box>', []],
    ['no grounding at all', 'A cat sits on a mat.', []],
  ])('should read %s', (_, text, expected) => {
    expect(parseGrounding(text)).toEqual(expected);
  });

  it('should give boxes in pixels for an image size', () => {
    const [object] = parseGrounding('<ref>a cat</ref><box>[[100, 200, 500, 800]]</box>', {
      width: 640,
      height: 480,
    });
    expect(object!.pixelBoxes).toEqual([{ x1: 64, y1: 96, x2: 320, y2: 384 }]);
  });

  it('should word the grounding prompt as the official docs do', () => {
    expect(groundingPrompt('the red car')).toBe(
      'Please provide the bounding box coordinate of the region this sentence describes: <ref>the red car</ref>',
    );
  });

  it('should keep grounding tags when decoding an answer (they are added tokens, not skipped specials)', () => {
    const { json, config } = internvlQwen2Tokenizer();
    const tokenizer = createTokenizer(json, config, { family: 'qwen2' });
    const answer = '<ref>a cat</ref><box>[[100, 200, 500, 800]]</box>';
    const ids = tokenizer.encode(answer);
    expect(ids).toContain(tokenizer.tokenId('<ref>'));
    expect(tokenizer.decodeReply([...ids, tokenizer.tokenId('<|im_end|>')!])).toBe(answer);
    // Other special tokens are still skipped.
    expect(tokenizer.decode([tokenizer.tokenId('<|im_start|>')!, ...tokenizer.encode('hi')])).toBe('hi');
  });
});
