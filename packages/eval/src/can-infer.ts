// VLMEvalKit's answer extraction, as at commit e8e78f0 (2026-08-18): vlmeval/utils/matching_util.py
// can_infer_option, can_infer_text, can_infer; vlmeval/vlm/internvl/internvl_chat.py
// extract_boxed_content. Python's str.split() and `in` semantics are mirrored.

const REJECTIONS = [
  "Sorry, I can't help with images of people yet.",
  "I can't process this file.",
  "I'm sorry, but without the image provided",
  'Cannot determine the answer',
];
// "The correct answer is **B**. Here's why: …", "The answer is C." (2026-06).
const VERBOSE_ANSWER = /(?:correct\s+)?answer\s+is\s+\**([ABCD])\**/i;

/**
 * `can_infer_option`: strip `.()[],:;!*#{}`, split on white space, and accept an option letter
 * when exactly one of the options' letters appears, within the last five words; `Z` when none does
 * but `Z` does, or for a refusal; else the `answer is X` fallback.
 * @returns the letter, `Z`, or false
 */
export function canInferOption(answer: string, choices: Readonly<Record<string, string>>): string | false {
  if (answer.includes('Failed to obtain answer via API')) return false;
  for (const rejection of REJECTIONS) if (answer.includes(rejection)) return 'Z';
  let stripped = answer;
  for (const c of '.()[],:;!*#{}') stripped = stripped.replaceAll(c, ' ');
  // Python's str.split(): runs of white space, no empty strings.
  const splits = stripped.split(/\s+/).filter((word) => word.length > 0);
  const count = (letters: Iterable<string>) => {
    let n = 0;
    for (const letter of letters) if (splits.includes(letter)) n++;
    return n;
  };
  const letters = Object.keys(choices);
  const found = count(letters);
  if (found === 1) {
    for (const letter of letters) {
      if (splits.includes(letter) && splits.indexOf(letter) > splits.length - 5) return letter;
    }
  } else if (found === 0 && count(['Z', '']) === 1) {
    return 'Z';
  }
  const match = VERBOSE_ANSWER.exec(answer);
  if (match && match[1]!.toUpperCase() in choices) return match[1]!.toUpperCase();
  return false;
}

/**
 * `can_infer_text`: when the answer is not much longer than the options (at most twice their
 * total length), the one option whose text it contains (case-insensitive).
 */
export function canInferText(answer: string, choices: Readonly<Record<string, string>>): string | false {
  const lower = answer.toLowerCase();
  // Python's len() counts code points.
  const length = (text: string) => [...text].length;
  if (length(lower) > 2 * Object.values(choices).reduce((sum, value) => sum + length(String(value)), 0))
    return false;
  const candidates = Object.keys(choices).filter((letter) =>
    lower.includes(String(choices[letter]).toLowerCase()),
  );
  return candidates.length === 1 ? candidates[0]! : false;
}

/** `can_infer`: the option by letter, else by text; false when neither. */
export function canInfer(answer: string, choices: Readonly<Record<string, string>>): string | false {
  return canInferOption(answer, choices) || canInferText(answer, choices);
}

/**
 * `extract_boxed_content`: the content of the last `\boxed{…}` (braces balanced), else the whole
 * answer. VLMEvalKit applies it to CoT answers only with `use_postprocess` (off by default).
 */
export function extractBoxedContent(answer: string): string {
  let index = answer.lastIndexOf('\\boxed{');
  if (index === -1) return answer;
  index += '\\boxed{'.length;
  let level = 1;
  let i = index;
  for (; i < answer.length; i++) {
    if (answer[i] === '{') level++;
    else if (answer[i] === '}') {
      level--;
      if (level === 0) break;
    }
  }
  return level === 0 ? answer.slice(index, i) : answer;
}
