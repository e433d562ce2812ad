export type {
  ChatEvent,
  ChatOptions,
  ChatResult,
  ChatSample,
  ChatStream,
  ChatTimings,
  ChatUsage,
  FinishReason,
} from './chat-types.js';
export type { FetchPolicy } from './fetch-policy.js';
export { FETCH_POLICY_DEFAULTS } from './fetch-policy.js';
export type { LoadedModel, LoadModelOptions, LoadProgressEvent } from './load-model.js';
export { loadModel } from './load-model.js';
export type { MediaLoader } from './media-loader.js';
export { rgbOnlyMediaLoader } from './media-loader.js';
export type { ChatMessage, ContentPart } from './messages.js';
export { validateMessages } from './messages.js';
export type { ModelStore, UrlStoreWeightCache } from './model-store.js';
export { modelStoreFromFiles, modelStoreFromUrl } from './model-store.js';
export type { PreparedPrompt, Runtime, RuntimeSettings, RuntimeStats } from './runtime.js';
export { createRuntimeFromStore } from './runtime.js';
export { RUNTIME_DEFAULTS } from './runtime-defaults.js';
