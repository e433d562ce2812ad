import { describe, expect, it } from 'vitest';
import { splitThinking, THINKING_SYSTEM_PROMPT } from './thinking.js';

describe('splitThinking', () => {
  it('should keep the think section out of the answer and report it apart', () => {
    expect(splitThinking('<think>\nThe cat is black.\n</think>\n\nA black cat. \\boxed{A}')).toEqual({
      reasoning: 'The cat is black.',
      answer: 'A black cat. \\boxed{A}',
    });
  });

  it('should treat an unclosed think section (a budget cut) as all reasoning', () => {
    expect(splitThinking('<think>First, the left side')).toEqual({
      reasoning: 'First, the left side',
      answer: '',
    });
  });

  it('should end the reasoning at a closing tag the reply never opened', () => {
    expect(splitThinking('counting legs</think>Four.')).toEqual({
      reasoning: 'counting legs',
      answer: 'Four.',
    });
  });

  it('should leave a reply without a think section as the answer', () => {
    expect(splitThinking('  Four.  ')).toEqual({ answer: 'Four.' });
  });

  it('should carry the model card prompt that asks for <think> tags', () => {
    expect(THINKING_SYSTEM_PROMPT).toContain(
      'Enclose this entire thinking process within <think> and </think> tags.',
    );
  });
});
