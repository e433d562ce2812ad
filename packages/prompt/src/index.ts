export type {
  BuildChatPromptOptions,
  BuiltPrompt,
  ChatPromptTurn,
  PromptMedia,
} from './build-chat-prompt.js';
export { buildChatPrompt, layoutChatPrompt } from './build-chat-prompt.js';
export type { BuildPromptOptions } from './build-prompt.js';
export { buildPrompt } from './build-prompt.js';
export type { CotKind } from './cot-prompts.js';
export {
  applyCotPrompt,
  COT_MULTIPLE_CHOICE_PROMPT,
  COT_OPEN_ENDED_PROMPT,
  DIRECT_CHOICE_INSTRUCTION,
  detectCotKind,
} from './cot-prompts.js';
export type { FrameLabel } from './image-placeholders.js';
export {
  expandImagePlaceholders,
  IMAGE_PLACEHOLDER,
  IMG_CONTEXT_TOKEN,
  IMG_END_TOKEN,
  IMG_START_TOKEN,
  multiImagePrefix,
  NUM_IMAGE_TOKEN,
  videoPrefix,
} from './image-placeholders.js';
export type { GroundedObject, GroundingBox, GroundingPoint } from './parse-grounding.js';
export { groundingPrompt, parseGrounding } from './parse-grounding.js';
export type { ConversationTurn } from './render-conversation.js';
export { renderConversation } from './render-conversation.js';
export type { ConversationTemplate } from './templates.js';
export {
  getTemplate,
  INTERNVL_LEGACY_SYSTEM_MESSAGE,
  INTERNVL2_5_SYSTEM_MESSAGE,
  TEMPLATES,
} from './templates.js';
export type { ThinkingSplit } from './thinking.js';
export {
  splitThinking,
  THINK_CLOSE,
  THINK_OPEN,
  THINKING_SAMPLING,
  THINKING_SYSTEM_PROMPT,
} from './thinking.js';
export type { IvlTokenizer, StreamDecoder, TokenizerOptions } from './tokenizer.js';
export { createTokenizer } from './tokenizer.js';
