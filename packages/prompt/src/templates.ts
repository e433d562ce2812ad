import { InvalidArgumentError } from '@ivl/core';

/**
 * A conversation template in InternVL's MPT separator style:
 * `system + sep`, then `role + message + sep` per message, and the bare role for the open turn.
 */
export interface ConversationTemplate {
  readonly name: string;
  /** Contains `{system_message}`. */
  readonly systemTemplate: string;
  readonly systemMessage: string;
  readonly roles: readonly [user: string, assistant: string];
  readonly sep: string;
  /** The end-of-turn token `chat()` stops at: `sep.trim()`. */
  readonly stopToken: string;
}

/** InternVL 2.5's default system message (58 characters, byte-exact). */
export const INTERNVL2_5_SYSTEM_MESSAGE =
  '你是书生·万象，英文名是InternVL，是由上海人工智能实验室、清华大学及多家合作单位联合开发的多模态大语言模型。';

/** The system message of the InternVL 1.5/2.0 templates. */
export const INTERNVL_LEGACY_SYSTEM_MESSAGE =
  '你是由上海人工智能实验室联合商汤科技开发的书生多模态大模型，英文名叫InternVL, 是一个有用无害的人工智能助手。';

const imChat = {
  systemTemplate: '<|im_start|>system\n{system_message}',
  roles: ['<|im_start|>user\n', '<|im_start|>assistant\n'] as const,
  stopToken: '<|im_end|>',
};

/** The templates of InternVL checkpoints, by the name in their config (`template`). */
export const TEMPLATES: Readonly<Record<string, ConversationTemplate>> = {
  internvl2_5: {
    name: 'internvl2_5',
    ...imChat,
    systemMessage: INTERNVL2_5_SYSTEM_MESSAGE,
    sep: '<|im_end|>\n',
  },
  'Hermes-2': {
    name: 'Hermes-2',
    ...imChat,
    systemMessage: INTERNVL_LEGACY_SYSTEM_MESSAGE,
    sep: '<|im_end|>',
  },
  'internlm2-chat': {
    name: 'internlm2-chat',
    ...imChat,
    systemMessage: INTERNVL_LEGACY_SYSTEM_MESSAGE,
    sep: '<|im_end|>',
  },
  'phi3-chat': {
    name: 'phi3-chat',
    systemTemplate: '<|system|>\n{system_message}',
    systemMessage: INTERNVL_LEGACY_SYSTEM_MESSAGE,
    roles: ['<|user|>\n', '<|assistant|>\n'],
    sep: '<|end|>',
    stopToken: '<|end|>',
  },
};

/**
 * The template named in a checkpoint's config.
 * @throws {InvalidArgumentError} for an unknown name, listing the known ones
 */
export function getTemplate(name: string): ConversationTemplate {
  const template = TEMPLATES[name];
  if (!template) {
    throw new InvalidArgumentError({
      argument: 'template',
      message: `Unknown conversation template "${name}". Available: ${Object.keys(TEMPLATES).join(', ')}.`,
    });
  }
  return template;
}
