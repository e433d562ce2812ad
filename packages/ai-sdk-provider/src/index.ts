export type { IvlProviderOptions } from './call-options.js';
export { chatOptionsOf } from './call-options.js';
export type { ConvertedPrompt } from './convert-prompt.js';
export { convertPrompt } from './convert-prompt.js';
export type { RuntimeSource } from './ivl-language-model.js';
export { IvlLanguageModel } from './ivl-language-model.js';
export type { IvlProvider, IvlProviderSettings } from './ivl-provider.js';
export { createIvl } from './ivl-provider.js';
