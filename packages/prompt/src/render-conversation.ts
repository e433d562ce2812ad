import type { ConversationTemplate } from './templates.js';

/** One question and, for past turns, its answer. */
export interface ConversationTurn {
  readonly question: string;
  /** Omitted (or empty) for the turn the model is to answer. */
  readonly answer?: string;
}

/**
 * Renders a conversation as InternVL's `get_prompt()` does (MPT style), ending with the open
 * assistant role when the last turn has no answer.
 *
 * @param systemMessage - replaces the template's; `null` (as some fine-tuned configs hold) falls
 *   back to the template's default instead of rendering the text "None" as the official code does
 */
export function renderConversation(
  template: ConversationTemplate,
  turns: readonly ConversationTurn[],
  systemMessage?: string | null,
): string {
  const system = template.systemTemplate.replace('{system_message}', systemMessage ?? template.systemMessage);
  let prompt = system + template.sep;
  const [user, assistant] = template.roles;
  for (const turn of turns) {
    for (const [role, message] of [
      [user, turn.question],
      [assistant, turn.answer],
    ] as const) {
      // An empty message counts as "no message", as in the official code.
      prompt += message ? role + message + template.sep : role;
    }
  }
  return prompt;
}
