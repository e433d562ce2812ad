import type { InferenceBackend, ModelDtype } from '@ivl/core';
import type { FetchPolicy } from '../fetch-policy.js';
import type { LoadProgressEvent } from '../load-model.js';
import { modelStoreFromFiles, modelStoreFromUrl } from '../model-store.js';
import { createRuntimeFromStore, type Runtime } from '../runtime.js';
import { createWebMediaLoader } from './web-media-loader.js';

/** Options of the browser {@link createRuntime}. */
export interface CreateWebRuntimeOptions {
  /** A base URL of an ivl model directory, or its files (path in the directory → Blob). */
  readonly model: { readonly baseUrl: string } | { readonly files: ReadonlyMap<string, Blob> };
  /** e.g. `createWebBackend({ device: ['webgpu', 'wasm'] })`. */
  readonly backend: InferenceBackend;
  readonly dtype?: ModelDtype;
  readonly onProgress?: (event: LoadProgressEvent) => void;
  readonly signal?: AbortSignal;
  readonly microBatchSize?: number;
  /** Bytes of image embeddings kept for reuse (LRU). @default 256 MiB */
  readonly mediaCacheBytes?: number;
  /** Conversations whose KV caches are kept for follow-ups (LRU). @default 1 */
  readonly conversationSlots?: number;
  /** Byte cap and timeout for image URLs. @default 64 MiB, 30 s */
  readonly fetchPolicy?: FetchPolicy;
}

/** Loads an InternVL model for chat in the browser. */
export function createRuntime(options: CreateWebRuntimeOptions): Promise<Runtime> {
  const store =
    'baseUrl' in options.model
      ? modelStoreFromUrl(options.model.baseUrl)
      : modelStoreFromFiles(options.model.files);
  return createRuntimeFromStore({ ...options, store, media: createWebMediaLoader(options.fetchPolicy) });
}
