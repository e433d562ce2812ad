import type { InferenceBackend, ModelDtype, ModelPartFiles } from '@ivl/core';
import type { FetchPolicy } from '../fetch-policy.js';
import type { LoadProgressEvent } from '../load-model.js';
import { modelStoreFromFiles, modelStoreFromUrl } from '../model-store.js';
import { createRuntimeFromStore, type Runtime } from '../runtime.js';
import { createWebMediaLoader } from './web-media-loader.js';
import { cacheStorageWeightCache, type WeightCache } from './weight-cache.js';

/** Options of the browser {@link createRuntime}. */
export interface CreateWebRuntimeOptions {
  /** A base URL of an ivl model directory, or its files (path in the directory → Blob). */
  readonly model: { readonly baseUrl: string } | { readonly files: ReadonlyMap<string, Blob> };
  /** e.g. `createWebBackend({ device: ['webgpu', 'wasm'] })`. */
  readonly backend: InferenceBackend;
  readonly dtype?: ModelDtype;
  readonly onProgress?: (event: LoadProgressEvent) => void;
  readonly signal?: AbortSignal;
  /** Tiles per vision-encoder run. @default 1 on wasm, 4 on WebGPU (RUNTIME_DEFAULTS) */
  readonly microBatchSize?: number;
  /** Bytes of image embeddings kept for reuse (LRU). @default 256 MiB */
  readonly mediaCacheBytes?: number;
  /** Conversations whose KV caches are kept for follow-ups (LRU). @default 1 */
  readonly conversationSlots?: number;
  /** Byte cap and timeout for image URLs. @default 64 MiB, 30 s */
  readonly fetchPolicy?: FetchPolicy;
  /**
   * Where weights fetched from `baseUrl` are kept between page loads, keyed and checked by the
   * manifest's SHA-256; `false` for none. @default Cache Storage ('ivl-weights', 8 GiB) where the page has it
   */
  readonly weightCache?: WeightCache | false;
}

/** Loads an InternVL model for chat in the browser. */
export async function createRuntime(options: CreateWebRuntimeOptions): Promise<Runtime> {
  const weightCache =
    options.weightCache === false
      ? undefined
      : (options.weightCache ?? (typeof caches === 'undefined' ? undefined : cacheStorageWeightCache()));
  const store =
    'baseUrl' in options.model
      ? modelStoreFromUrl(options.model.baseUrl, { ...(weightCache && { weightCache }) })
      : modelStoreFromFiles(options.model.files);
  const runtime = await createRuntimeFromStore({
    ...options,
    store,
    media: createWebMediaLoader(options.fetchPolicy),
  });
  if (weightCache && 'baseUrl' in options.model) {
    // Within its budget the cache keeps other models too; beyond it, this model's files stay.
    const inUse = Object.values(runtime.manifest.files).flatMap((byDtype) => {
      const files = (byDtype as Partial<Record<string, ModelPartFiles>>)[runtime.dtype];
      return files ? [files.onnx, ...files.externalData] : [];
    });
    await weightCache.prune(inUse).catch(() => undefined);
  }
  return runtime;
}
