// VLMEvalKit's InternVL prompt for multiple-choice sets, as at commit e8e78f0 (2026-08-18):
// vlmeval/vlm/internvl/utils.py build_multi_choice_prompt, build_mcq_cot_prompt, reorganize_prompt.

/** One multiple-choice question of a VLMEvalKit TSV. */
export interface McqQuestion {
  readonly index: string;
  readonly question: string;
  /** Option letter → text, in letter order (`A`…`Z` columns that are not empty). */
  readonly options: Readonly<Record<string, string>>;
  readonly answer?: string;
  readonly hint?: string;
  readonly category?: string;
  readonly split?: string;
}

/** `\n请直接回答选项字母。` for a prompt with CJK characters (VLMEvalKit's `cn_string`). */
const CJK = /[\u4e00-\u9fff]/;

/** The direct-answer instruction VLMEvalKit appends to a multiple-choice question. */
export const MCQ_DIRECT_INSTRUCTION = "Answer with the option's letter from the given choices directly.";

/**
 * VLMEvalKit's MCQ CoT prompt for InternVL (`build_mcq_cot_prompt`, cot_prompt_version v1).
 * The dash in "indefinitely—provide" is U+2014.
 */
export const MCQ_COT_PROMPT =
  "Answer the preceding multiple choice question. The last line of your response should follow this format: 'Answer: \\boxed{$LETTER}' (without quotes), where LETTER is one of the options. If you are uncertain or the problem is too complex, make a reasoned guess based on the information provided. Avoid repeating steps indefinitely\u2014provide your best guess even if unsure. Think step by step logically, considering all relevant information before answering.";

/**
 * `build_multi_choice_prompt`: the hint (when present) on its own line, the question, `A. …` per
 * option on their own lines, then the direct-answer instruction — no `Hint:`/`Question:` labels.
 */
export function buildMultipleChoicePrompt(question: McqQuestion): string {
  let prompt = question.hint !== undefined ? `${question.hint}\n${question.question}` : question.question;
  const letters = Object.keys(question.options);
  for (const letter of letters) prompt += `\n${letter}. ${question.options[letter]}`;
  if (letters.length > 0)
    prompt += CJK.test(prompt) ? '\n请直接回答选项字母。' : `\n${MCQ_DIRECT_INSTRUCTION}`;
  else prompt += CJK.test(prompt) ? '\n请直接回答问题。' : '\nAnswer the question directly.';
  return prompt;
}

/** `build_mcq_cot_prompt`: the direct instruction removed, trimmed, the CoT prompt on a new line. */
export function buildMcqCotPrompt(prompt: string): string {
  return `${prompt.replace(MCQ_DIRECT_INSTRUCTION, '').trim()}\n${MCQ_COT_PROMPT}`;
}

/**
 * `reorganize_prompt` for a message of one text followed by its images (how InternVL's
 * `build_prompt` orders them): `<image>\n` before the text for one image; for several,
 * `Image-1: <image>\nImage-2: <image>\n…` before it (the `<image k>` mentions in the question stay).
 */
export function reorganizePrompt(text: string, imageCount: number): string {
  if (imageCount === 1) return `<image>\n${text}`;
  if (imageCount === 0) return text;
  let prefix = '';
  for (let i = 1; i <= imageCount; i++) prefix += `Image-${i}: <image>\n`;
  return prefix + text;
}

/**
 * Tiles per image as VLMEvalKit gives InternVL on MMMU: `max(1, min(max_num, total_max_num // n))`
 * with `max_num` 12 and `total_max_num` 64.
 */
export function tilesPerImage(imageCount: number, maxNum = 12, totalMaxNum = 64): number {
  return Math.max(1, Math.min(maxNum, Math.floor(totalMaxNum / Math.max(1, imageCount))));
}
