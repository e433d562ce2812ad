export * from '../index.js';
export type { ConvertProgressEvent, CreateRuntimeOptions } from './create-runtime.js';
export { createRuntime } from './create-runtime.js';
export { modelStoreFromDirectory } from './directory-store.js';
export { createNodeMediaLoader, nodeMediaLoader } from './node-media-loader.js';
