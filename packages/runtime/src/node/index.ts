export * from '../index.js';
export { defaultCacheDirectory } from './conversion-cache.js';
export type { ConvertProgressEvent, CreateRuntimeOptions, PrepareModelOptions } from './create-runtime.js';
export { createRuntime, prepareModel } from './create-runtime.js';
export { modelStoreFromDirectory } from './directory-store.js';
export type {
  DownloadProgressEvent,
  HubCheckpoint,
  HubDownloadOptions,
  HubModelReference,
} from './hub-checkpoint.js';
export { defaultHubDirectory, downloadHubCheckpoint, parseHubModel } from './hub-checkpoint.js';
export type { CachedModel, ModelCacheDirectories } from './model-cache.js';
export { listCachedModels, removeCachedModels } from './model-cache.js';
export { createNodeMediaLoader, nodeMediaLoader } from './node-media-loader.js';
