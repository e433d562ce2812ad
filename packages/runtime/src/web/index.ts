export * from '../index.js';
export type { CreateWebRuntimeOptions } from './create-runtime.js';
export { createRuntime } from './create-runtime.js';
export { createWebMediaLoader, webMediaLoader } from './web-media-loader.js';
