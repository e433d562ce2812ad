/**
 * InternVL3.5's "thinking" mode: the reasoning system prompt of its model card (the exact string
 * the model was trained with), and the split of a reply into the reasoning inside
 * `<think>…</think>` and the visible answer after it.
 */
export const THINKING_SYSTEM_PROMPT = `You are an AI assistant that rigorously follows this response protocol:

1. First, conduct a detailed analysis of the question. Consider different angles, potential solutions, and reason through the problem step-by-step. Enclose this entire thinking process within <think> and </think> tags.

2. After the thinking section, provide a clear, concise, and direct answer to the user's question. Separate the answer from the think section with a newline.

Ensure that the thinking process is thorough but remains focused on the query. The final answer should be standalone and not reference the thinking section.`;

/** The sampling InternVL3.5's card uses in thinking mode. */
export const THINKING_SAMPLING = { doSample: true, temperature: 0.6, topP: 0.95 } as const;

export const THINK_OPEN = '<think>';
export const THINK_CLOSE = '</think>';

/** A reply split into its reasoning and its visible answer. */
export interface ThinkingSplit {
  /** The text inside `<think>…</think>`, trimmed; undefined when the reply has no think section. */
  readonly reasoning?: string;
  /** What the user sees: the text after `</think>`, trimmed (empty while the reply is still thinking). */
  readonly answer: string;
}

/**
 * Splits a reply at its think section. An unclosed `<think>` (an answer cut by the token budget)
 * is all reasoning; a `</think>` without an opening tag (the prompt may have opened it) ends the
 * reasoning too. A reply without either is all answer.
 */
export function splitThinking(text: string): ThinkingSplit {
  const close = text.indexOf(THINK_CLOSE);
  const open = text.indexOf(THINK_OPEN);
  if (close === -1) {
    if (open === -1) return { answer: text.trim() };
    return { reasoning: text.slice(open + THINK_OPEN.length).trim(), answer: text.slice(0, open).trim() };
  }
  const start = open !== -1 && open < close ? open + THINK_OPEN.length : 0;
  return {
    reasoning: text.slice(start, close).trim(),
    answer: text.slice(close + THINK_CLOSE.length).trim(),
  };
}
