import { InvalidArgumentError } from '@ivl/core';
import { describe, expect, it } from 'vitest';
import { buildPrompt } from './build-prompt.js';
import { applyCotPrompt, COT_MULTIPLE_CHOICE_PROMPT, COT_OPEN_ENDED_PROMPT } from './cot-prompts.js';
import { expandImagePlaceholders } from './image-placeholders.js';
import { renderConversation } from './render-conversation.js';
import { getTemplate, INTERNVL2_5_SYSTEM_MESSAGE } from './templates.js';

// Strings written out from internvl-spec §3.2 / §12, not produced by the code under test.
const SYS = INTERNVL2_5_SYSTEM_MESSAGE;
const head = `<|im_start|>system\n${SYS}<|im_end|>\n`;
const block = (tiles: number) => `<img>${'<IMG_CONTEXT>'.repeat(256 * tiles)}</img>`;

describe('the internvl2_5 system message', () => {
  it('should be the 58 characters of the spec, byte for byte', () => {
    expect([...SYS].length).toBe(58);
    expect(Buffer.from(SYS, 'utf8').toString('hex')).toBe(
      'e4bda0e698afe4b9a6e7949fc2b7e4b887e8b1a1efbc8ce88bb1e69687e5908de698af496e7465726e564cefbc8ce698afe794b1e4b88ae6b5b7e4babae5b7a5e699bae883bde5ae9ee9aa8ce5aea4e38081e6b885e58d8ee5a4a7e5ada6e58f8ae5a49ae5aeb6e59088e4bd9ce58d95e4bd8de88194e59088e5bc80e58f91e79a84e5a49ae6a8a1e68081e5a4a7e8afade8a880e6a8a1e59e8be38082',
    );
  });
});

describe('buildPrompt', () => {
  it('should render one 800×600 image (13 tiles) as the spec quick reference', () => {
    const { text, numTilesList } = buildPrompt({
      question: 'Please describe the image shortly.',
      images: [13],
    });
    expect(text).toBe(
      `${head}<|im_start|>user\n${block(13)}\nPlease describe the image shortly.<|im_end|>\n<|im_start|>assistant\n`,
    );
    expect(text.split('<IMG_CONTEXT>').length - 1).toBe(3328);
    expect(numTilesList).toEqual([13]);
  });

  it('should render a text-only question without any image tokens', () => {
    expect(buildPrompt({ question: 'Hi' }).text).toBe(
      `${head}<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n`,
    );
  });

  it('should give each of several images its own labelled block', () => {
    const { text } = buildPrompt({ question: 'Compare them.', images: [3, 1] });
    expect(text).toBe(
      `${head}<|im_start|>user\nImage-1: ${block(3)}\nImage-2: ${block(1)}\nCompare them.<|im_end|>\n<|im_start|>assistant\n`,
    );
  });

  it('should put all tiles in one block with the combined layout', () => {
    const { text, numTilesList } = buildPrompt({ question: 'Q', images: [3, 2], imageLayout: 'combined' });
    expect(text).toBe(`${head}<|im_start|>user\n${block(5)}\nQ<|im_end|>\n<|im_start|>assistant\n`);
    expect(numTilesList).toEqual([5]);
  });

  it('should label video frames Frame1: by default and Frame-1: on request', () => {
    const frames = (label: string) => `${label}1: ${block(1)}\n${label}2: ${block(1)}\n`;
    expect(buildPrompt({ question: 'What happens?', videoFrames: 2 }).text).toBe(
      `${head}<|im_start|>user\n${frames('Frame')}What happens?<|im_end|>\n<|im_start|>assistant\n`,
    );
    expect(buildPrompt({ question: 'What happens?', videoFrames: 2, frameLabel: 'Frame-1' }).text).toBe(
      `${head}<|im_start|>user\n${frames('Frame-')}What happens?<|im_end|>\n<|im_start|>assistant\n`,
    );
  });

  it('should expand the <image> kept in history on a follow-up turn and add none to the new question', () => {
    const { text } = buildPrompt({
      history: [{ question: '<image>\nWhat is this?', answer: 'A cat.' }],
      question: 'What colour is it?',
      images: [5],
    });
    expect(text).toBe(
      `${head}<|im_start|>user\n${block(5)}\nWhat is this?<|im_end|>\n<|im_start|>assistant\nA cat.<|im_end|>\n` +
        '<|im_start|>user\nWhat colour is it?<|im_end|>\n<|im_start|>assistant\n',
    );
  });

  it('should honour explicit placeholders and a custom system message, and guard a null one', () => {
    const { text } = buildPrompt({ question: 'Left <image> right', images: [1], systemMessage: 'Be brief.' });
    expect(text).toBe(
      `<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nLeft ${block(1)} right<|im_end|>\n<|im_start|>assistant\n`,
    );
    expect(buildPrompt({ question: 'Q', systemMessage: null }).text).toContain(SYS);
    expect(buildPrompt({ question: 'Q', systemMessage: null }).text).not.toContain('None');
  });

  it('should render the InternVL 1.5/2.0 templates without the newline after <|im_end|>', () => {
    const legacy =
      '你是由上海人工智能实验室联合商汤科技开发的书生多模态大模型，英文名叫InternVL, 是一个有用无害的人工智能助手。';
    expect(buildPrompt({ template: 'Hermes-2', question: 'Q' }).text).toBe(
      `<|im_start|>system\n${legacy}<|im_end|><|im_start|>user\nQ<|im_end|><|im_start|>assistant\n`,
    );
    expect(buildPrompt({ template: 'phi3-chat', question: 'Q' }).text).toBe(
      `<|system|>\n${legacy}<|end|><|user|>\nQ<|end|><|assistant|>\n`,
    );
    expect(getTemplate('internlm2-chat').stopToken).toBe('<|im_end|>');
  });

  it('should refuse mismatched placeholders and unknown templates with typed errors', () => {
    expect(() => buildPrompt({ question: '<image> and <image>', images: [1] })).toThrow(
      /The prompt has 2 <image> placeholder\(s\) but 1 image\(s\) were given/,
    );
    expect(() => expandImagePlaceholders('no placeholder', [2])).toThrow(InvalidArgumentError);
    expect(() => expandImagePlaceholders('<image>', [0])).toThrow(/positive integer number of tiles/);
    expect(() => buildPrompt({ question: 'Q', template: 'vicuna' })).toThrow(
      /Available: internvl2_5, Hermes-2, internlm2-chat, phi3-chat/,
    );
  });
});

describe('renderConversation', () => {
  it('should treat an empty answer as an open turn', () => {
    expect(renderConversation(getTemplate('internvl2_5'), [{ question: 'Q', answer: '' }], 'S')).toBe(
      '<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n',
    );
  });
});

describe('CoT prompts', () => {
  it('should hold the paper text with its U+2014 dash', () => {
    expect(COT_MULTIPLE_CHOICE_PROMPT).toContain('indefinitely\u2014provide');
    expect(
      COT_OPEN_ENDED_PROMPT.startsWith(
        "Answer the preceding question. The last line of your response should follow this format: 'Answer: \\boxed{$FINAL_ANSWER}'",
      ),
    ).toBe(true);
  });

  it('should replace the direct-answer instruction of a multiple-choice question', () => {
    const question =
      "Which is red?\nA. sky\nB. apple\nAnswer with the option's letter from the given choices directly.";
    expect(applyCotPrompt(question, 'multiple-choice')).toBe(
      `Which is red?\nA. sky\nB. apple\n${COT_MULTIPLE_CHOICE_PROMPT}`,
    );
    expect(applyCotPrompt('What is 2+2?', 'open-ended')).toBe(`What is 2+2?\n${COT_OPEN_ENDED_PROMPT}`);
  });
});
