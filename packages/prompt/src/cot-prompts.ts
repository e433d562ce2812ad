// The chain-of-thought prompts of the InternVL 2.5 paper (Fig. 9; VLMEvalKit with USE_COT=1).
// The dash in "indefinitely—provide" is U+2014.

/** Appended to multiple-choice questions for CoT reasoning. */
export const COT_MULTIPLE_CHOICE_PROMPT =
  "Answer the preceding multiple choice question. The last line of your response should follow this format: 'Answer: \\boxed{$LETTER}' (without quotes), where LETTER is one of the options. If you are uncertain or the problem is too complex, make a reasoned guess based on the information provided. Avoid repeating steps indefinitely—provide your best guess even if unsure. Think step by step logically, considering all relevant information before answering.";

/** Appended to open-ended questions (MathVista, MathVision, …) for CoT reasoning. */
export const COT_OPEN_ENDED_PROMPT =
  "Answer the preceding question. The last line of your response should follow this format: 'Answer: \\boxed{$FINAL_ANSWER}' (without quotes), where 'FINAL_ANSWER' is your conclusion based on the reasoning provided. If you are uncertain or the problem is too complex, make a reasoned guess based on the information provided. Avoid repeating steps indefinitely—provide your best guess even if unsure. Think step by step logically, considering all relevant information before answering.";

/** The direct-answer instruction that CoT mode removes from multiple-choice questions. */
export const DIRECT_CHOICE_INSTRUCTION = "Answer with the option's letter from the given choices directly.";

/** Which CoT prompt a question takes. */
export type CotKind = 'multiple-choice' | 'open-ended';

// An option line such as `A. …`, `(B) …` or `C) …`.
const OPTION_LINE = /(^|\n)\s*\(?[A-H][.)]\s+\S/;

/** `multiple-choice` when the question lists options (`A. …`, `(B) …`), else `open-ended`. */
export function detectCotKind(question: string): CotKind {
  return OPTION_LINE.test(question) ? 'multiple-choice' : 'open-ended';
}

/**
 * Turns a question into its CoT form: for multiple choice, drops the direct-answer instruction,
 * trims, and appends `'\n' + COT_MULTIPLE_CHOICE_PROMPT` (VLMEvalKit's `build_mcq_cot_prompt`); for open-ended, appends `'\n' + COT_OPEN_ENDED_PROMPT`.
 */
export function applyCotPrompt(question: string, kind: CotKind): string {
  if (kind === 'open-ended') return `${question}\n${COT_OPEN_ENDED_PROMPT}`;
  const stripped = question.replace(DIRECT_CHOICE_INSTRUCTION, '').trim();
  return `${stripped}\n${COT_MULTIPLE_CHOICE_PROMPT}`;
}
