/** How answers are compared when voting. */
export type AnswerKind = 'auto' | 'choice' | 'number' | 'text';

// The content of the last \boxed{...} (or \fbox{...}), with nested braces balanced.
function lastBoxed(text: string): string | undefined {
  const pattern = /\\(?:boxed|fbox)\s*\{/g;
  let found: string | undefined;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    let depth = 1;
    let i = match.index + match[0].length;
    const start = i;
    for (; i < text.length && depth > 0; i++) {
      if (text[i] === '{') depth++;
      else if (text[i] === '}') depth--;
    }
    if (depth === 0) found = text.slice(start, i - 1);
  }
  return found;
}

const ANSWER_LINE =
  /(?:^|\n)\s*(?:\*\*)?(?:final answer|answer|the (?:final )?answer is)(?:\*\*)?\s*[:：]?\s*(?:\*\*)?(.+?)\s*$/gim;

/**
 * Extracts the final answer of a chain-of-thought response: the last `\boxed{...}` (as the CoT
 * prompts of the InternVL 2.5 paper ask for: `Answer: \boxed{X}`), else the last
 * `Answer: X` / `Final answer: X` / `The answer is X` line. Undefined when none is found.
 */
export function extractAnswer(response: string): string | undefined {
  const boxed = lastBoxed(response);
  if (boxed !== undefined) return boxed.trim();
  let found: string | undefined;
  for (const match of response.matchAll(ANSWER_LINE)) found = match[1];
  if (found === undefined) return undefined;
  const cleaned = found
    .replace(/\*\*/g, '')
    .replace(/^\$+|\$+$/g, '')
    .replace(/\.$/, '')
    .trim();
  return cleaned.length > 0 ? cleaned : undefined;
}

const CHOICE = /^\s*(?:\(|\[)?(?:option\s+|choice\s+)?([A-Za-z])(?:\)|\]|\.|:|\s|$)(?![A-Za-z])/i;

function parseNumber(text: string): number | undefined {
  let t = text
    .replace(/\\[,!;: ]/g, '')
    .replace(/\\(?:left|right|text\{[^}]*\}|mathrm\{[^}]*\})/g, '')
    .replace(/[$\s]/g, '')
    .replace(/\\?%$/, '')
    .replace(/^\\?\$/, '');
  const fraction =
    /^(-?)\\d?frac\{(-?[\d.]+)\}\{(-?[\d.]+)\}$/.exec(t) ??
    /^(-?)\(?(-?[\d.]+)\)?\/\(?(-?[\d.]+)\)?$/.exec(t);
  if (fraction) {
    const value = Number(fraction[2]) / Number(fraction[3]);
    return Number.isFinite(value) ? (fraction[1] ? -value : value) : undefined;
  }
  if (/^-?\d{1,3}(,\d{3})+(\.\d+)?$/.test(t)) t = t.replace(/,/g, '');
  if (!/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(t)) return undefined;
  return Number(t);
}

/**
 * Puts an answer in a canonical form so equal answers vote together:
 * - `choice`: the option letter, upper-case (`(b)`, `B.`, `Option B`, `B) cats` → `B`);
 * - `number`: a decimal string (`1,000` → `1000`, `3.50` → `3.5`, `\frac{1}{2}` → `0.5`, `50\%` → `50`);
 * - `text`: NFKC, lower-case, single spaces, no trailing period;
 * - `auto` (default): `choice` for a lone option letter, else `number` when it parses, else `text`.
 */
export function normalizeAnswer(answer: string, kind: AnswerKind = 'auto'): string {
  const trimmed = answer.normalize('NFKC').trim();
  if (kind === 'choice' || kind === 'auto') {
    const letter = CHOICE.exec(trimmed);
    if (
      letter &&
      (kind === 'choice' ||
        /^\s*(?:\(|\[)?(?:option\s+|choice\s+)?[A-Za-z](?:\)|\]|\.|:)?\s*$/i.test(trimmed))
    ) {
      return letter[1]!.toUpperCase();
    }
  }
  if (kind === 'number' || kind === 'auto') {
    const value = parseNumber(trimmed);
    if (value !== undefined) return String(Number(value.toPrecision(12)));
  }
  return trimmed
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .replace(/[.。]$/, '');
}

/** One distinct answer and its votes. */
export interface VoteCount {
  readonly answer: string;
  readonly count: number;
  /** Indices of the responses that gave it, in order. */
  readonly indices: readonly number[];
}

/** The result of {@link majorityVote}. */
export interface VoteResult {
  /** The winning normalized answer; undefined when no response had one. */
  readonly answer: string | undefined;
  /** Every distinct answer, most votes first (ties: the one that appeared first). */
  readonly votes: readonly VoteCount[];
  /** Per response: what was extracted and how it was normalized. */
  readonly samples: readonly {
    readonly response: string;
    readonly extracted?: string;
    readonly normalized?: string;
  }[];
  /** Responses with no extractable answer (they do not vote). */
  readonly unanswered: number;
}

/**
 * Majority voting over sampled responses (test-time scaling): extract each final answer, normalize,
 * count. Ties go to the answer that appeared first, so the result is deterministic.
 *
 * @example
 * ```ts
 * majorityVote(['... Answer: \\boxed{B}', '... Answer: \\boxed{(b)}', '... Answer: \\boxed{C}']).answer; // 'B'
 * ```
 */
export function majorityVote(responses: readonly string[], { kind = 'auto' as AnswerKind } = {}): VoteResult {
  const byAnswer = new Map<string, number[]>();
  const samples = responses.map((response, index) => {
    const extracted = extractAnswer(response);
    if (extracted === undefined) return { response };
    const normalized = normalizeAnswer(extracted, kind);
    byAnswer.set(normalized, [...(byAnswer.get(normalized) ?? []), index]);
    return { response, extracted, normalized };
  });
  const votes = [...byAnswer.entries()]
    .map(([answer, indices]) => ({ answer, count: indices.length, indices }))
    .sort((a, b) => b.count - a.count || a.indices[0]! - b.indices[0]!);
  return {
    answer: votes[0]?.answer,
    votes,
    samples,
    unanswered: samples.filter((s) => s.extracted === undefined).length,
  };
}
