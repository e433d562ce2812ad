import { describe, expect, it } from 'vitest';
import { extractAnswer, majorityVote, normalizeAnswer } from './answer-voting.js';

describe('extractAnswer', () => {
  it.each([
    ['The area is 12 because...\nAnswer: \\boxed{12}', '12'],
    [
      'Step 1 ... so \\boxed{\\frac{1}{2}} is wrong; the right one is\nAnswer: \\boxed{\\frac{3}{4}}',
      '\\frac{3}{4}',
    ],
    ['Thinking: options A and C are out.\nAnswer: \\boxed{B}', 'B'],
    ['Answer: \\boxed{ (C) }', '(C)'],
    ['Final answer: 42.', '42'],
    ['We conclude.\n**Answer:** D', 'D'],
    ['... hence the answer is $7$.', undefined],
    ['The answer is 3.5', '3.5'],
    ['答案\nAnswer：A', 'A'],
    ['no conclusion at all', undefined],
    ['Answer: \\boxed{x^{2}+1}', 'x^{2}+1'],
    ['unbalanced \\boxed{12', undefined],
  ])('should extract from %j', (response, expected) => {
    expect(extractAnswer(response)).toBe(expected);
  });
});

describe('normalizeAnswer', () => {
  it.each([
    ['(b)', 'auto', 'B'],
    ['B.', 'auto', 'B'],
    ['Option C', 'auto', 'C'],
    ['B) cats are mammals', 'choice', 'B'],
    ['B) cats are mammals', 'auto', 'b) cats are mammals'],
    ['1,000', 'auto', '1000'],
    ['3.50', 'auto', '3.5'],
    ['\\frac{1}{2}', 'auto', '0.5'],
    ['1/4', 'number', '0.25'],
    ['50\\%', 'auto', '50'],
    ['$12$', 'auto', '12'],
    ['0.1 + 0.2', 'auto', '0.1 + 0.2'],
    ['  The  Eiffel Tower. ', 'text', 'the eiffel tower'],
  ])('should normalize %j (%s) to %j', (answer, kind, expected) => {
    expect(normalizeAnswer(answer, kind as 'auto')).toBe(expected);
  });
});

describe('majorityVote', () => {
  it('should count normalized answers and return the vote table', () => {
    const result = majorityVote([
      'Reasoning...\nAnswer: \\boxed{B}',
      'Other reasoning\nAnswer: \\boxed{(b)}',
      'Answer: \\boxed{C}',
      'I am not sure.',
      'Answer: \\boxed{B.}',
    ]);
    expect(result.answer).toBe('B');
    expect(result.votes).toEqual([
      { answer: 'B', count: 3, indices: [0, 1, 4] },
      { answer: 'C', count: 1, indices: [2] },
    ]);
    expect(result.unanswered).toBe(1);
    expect(result.samples[1]).toEqual({
      response: 'Other reasoning\nAnswer: \\boxed{(b)}',
      extracted: '(b)',
      normalized: 'B',
    });
  });

  it('should break ties by first appearance, deterministically', () => {
    expect(majorityVote(['\\boxed{2}', '\\boxed{1}', '\\boxed{1}', '\\boxed{2.0}']).answer).toBe('2');
    expect(majorityVote(['\\boxed{1}', '\\boxed{2}']).answer).toBe('1');
  });

  it('should report no answer when nothing can be extracted', () => {
    expect(majorityVote(['hmm', 'no idea'])).toMatchObject({ answer: undefined, votes: [], unanswered: 2 });
  });
});
