import { describe, expect, it } from 'vitest';
import goldens from './__fixtures__/vlmevalkit-goldens.json' with { type: 'json' };
import { canInfer, canInferOption, canInferText, extractBoxedContent } from './can-infer.js';
import {
  buildMcqCotPrompt,
  buildMultipleChoicePrompt,
  type McqQuestion,
  reorganizePrompt,
} from './mcq-prompt.js';

// Expected values are VLMEvalKit's own functions at commit e8e78f0, run on these cases by
// tooling/fixtures/vlmevalkit_goldens.py (independent of this code).
type Case = { answer: string; choices: Record<string, string>; expected: string | false };

describe('answer extraction, as VLMEvalKit does it', () => {
  it.each(goldens.canInferOption as Case[])('can_infer_option(%j)', ({ answer, choices, expected }) => {
    expect(canInferOption(answer, choices)).toBe(expected);
  });
  it.each(goldens.canInferText as Case[])('can_infer_text(%j)', ({ answer, choices, expected }) => {
    expect(canInferText(answer, choices)).toBe(expected);
  });
  it.each(goldens.canInfer as Case[])('can_infer(%j)', ({ answer, choices, expected }) => {
    expect(canInfer(answer, choices)).toBe(expected);
  });
  it.each(goldens.boxed as { answer: string; expected: string }[])(
    'extract_boxed_content(%j)',
    ({ answer, expected }) => {
      expect(extractBoxedContent(answer)).toBe(expected);
    },
  );
});

describe('the InternVL multiple-choice prompt, byte for byte', () => {
  type Line = { index: string; question: string; hint: string | null } & Record<string, string | null>;
  const toQuestion = (line: Line): McqQuestion => ({
    index: line.index,
    question: line.question,
    options: Object.fromEntries(
      Object.entries(line).filter(([key, value]) => /^[A-Z]$/.test(key) && value !== null) as [
        string,
        string,
      ][],
    ),
    ...(line.hint !== null && { hint: line.hint }),
  });
  it.each(goldens.prompts as { line: Line; images: number; direct: string; cot: string }[])(
    'should build question $line.index with $images image(s)',
    ({ line, images, direct, cot }) => {
      const prompt = buildMultipleChoicePrompt(toQuestion(line));
      expect(reorganizePrompt(prompt, images)).toBe(direct);
      expect(reorganizePrompt(buildMcqCotPrompt(prompt), images)).toBe(cot);
    },
  );
});
