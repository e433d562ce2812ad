import { describe, expect, it } from 'vitest';
import { buildChatPrompt } from './build-chat-prompt.js';
import { buildPrompt } from './build-prompt.js';
import { COT_MULTIPLE_CHOICE_PROMPT, COT_OPEN_ENDED_PROMPT, detectCotKind } from './cot-prompts.js';
import { INTERNVL2_5_SYSTEM_MESSAGE } from './templates.js';

// Expected strings are written out by hand from internvl-spec §2.3–§3.2: what the official
// chat(question, history) renders when each earlier question is kept in history as it was asked.
const head = `<|im_start|>system\n${INTERNVL2_5_SYSTEM_MESSAGE}<|im_end|>\n`;
const block = (tiles: number) => `<img>${'<IMG_CONTEXT>'.repeat(256 * tiles)}</img>`;
const user = (text: string) => `<|im_start|>user\n${text}<|im_end|>\n`;
const answer = (text: string) => `<|im_start|>assistant\n${text}<|im_end|>\n`;
const open = '<|im_start|>assistant\n';

describe('buildChatPrompt', () => {
  it('should match buildPrompt for a single image, several images and a video', () => {
    for (const [media, images, videoFrames] of [
      [[{ kind: 'image', tiles: 13 }], [13], undefined],
      [
        [
          { kind: 'image', tiles: 3 },
          { kind: 'image', tiles: 1 },
        ],
        [3, 1],
        undefined,
      ],
      [[{ kind: 'video', frames: 4 }], [], 4],
    ] as const) {
      const built = buildChatPrompt({ turns: [{ question: 'Q?', media }] });
      expect(built).toEqual(buildPrompt({ question: 'Q?', images, ...(videoFrames && { videoFrames }) }));
    }
  });

  it('should keep a follow-up about the first turn’s image as chat() renders it from history', () => {
    const { text, numTilesList } = buildChatPrompt({
      turns: [
        { question: 'What is this?', answer: 'A cat.', media: [{ kind: 'image', tiles: 5 }] },
        { question: 'What colour is it?' },
      ],
    });
    expect(text).toBe(
      `${head}${user(`${block(5)}\nWhat is this?`)}${answer('A cat.')}${user('What colour is it?')}${open}`,
    );
    expect(numTilesList).toEqual([5]);
  });

  it('should number images across turns when the conversation shows several', () => {
    const { text, numTilesList } = buildChatPrompt({
      turns: [
        { question: 'Describe it.', answer: 'A dog.', media: [{ kind: 'image', tiles: 2 }] },
        {
          question: 'And these?',
          answer: 'Two cats.',
          media: [
            { kind: 'image', tiles: 1 },
            { kind: 'image', tiles: 3 },
          ],
        },
        { question: 'Which is largest?' },
      ],
    });
    expect(text).toBe(
      `${head}${user(`Image-1: ${block(2)}\nDescribe it.`)}${answer('A dog.')}` +
        `${user(`Image-2: ${block(1)}\nImage-3: ${block(3)}\nAnd these?`)}${answer('Two cats.')}` +
        `${user('Which is largest?')}${open}`,
    );
    expect(numTilesList).toEqual([2, 1, 3]);
  });

  it('should put an image and a video of one turn in order, and a video of a later turn as frames', () => {
    const { text, numTilesList } = buildChatPrompt({
      turns: [
        { question: 'Look.', answer: 'OK.', media: [{ kind: 'image', tiles: 2 }] },
        { question: 'What happens?', media: [{ kind: 'video', frames: 2 }] },
      ],
      frameLabel: 'Frame-1',
    });
    expect(text).toBe(
      `${head}${user(`${block(2)}\nLook.`)}${answer('OK.')}` +
        `${user(`Frame-1: ${block(1)}\nFrame-2: ${block(1)}\nWhat happens?`)}${open}`,
    );
    expect(numTilesList).toEqual([2, 1, 1]);
  });

  it('should leave a question’s own placeholders where they are', () => {
    const { text } = buildChatPrompt({
      turns: [{ question: 'Left <image> right', media: [{ kind: 'image', tiles: 1 }] }],
      systemMessage: 'Be brief.',
    });
    expect(text).toBe(`<|im_start|>system\nBe brief.<|im_end|>\n${user(`Left ${block(1)} right`)}${open}`);
  });

  it('should apply the CoT prompt to the last question only, picking its kind from option lines', () => {
    const mcq = 'Which?\nA. one\nB. two';
    const { text } = buildChatPrompt({
      turns: [
        { question: 'Hi', answer: 'Hello.' },
        { question: mcq, media: [{ kind: 'image', tiles: 1 }] },
      ],
      cot: 'auto',
    });
    expect(text).toBe(
      `${head}${user('Hi')}${answer('Hello.')}${user(`${block(1)}\n${mcq}\n${COT_MULTIPLE_CHOICE_PROMPT}`)}${open}`,
    );
    expect(detectCotKind(mcq)).toBe('multiple-choice');
    expect(detectCotKind('(B) maybe')).toBe('multiple-choice');
    expect(detectCotKind('How many birds?')).toBe('open-ended');
    expect(buildChatPrompt({ turns: [{ question: 'Why?' }], cot: 'auto' }).text).toContain(
      `Why?\n${COT_OPEN_ENDED_PROMPT}`,
    );
  });
});
