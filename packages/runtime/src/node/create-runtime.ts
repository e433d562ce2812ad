import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type InferenceBackend, type ModelDtype, ModelLoadError } from '@ivl/core';
import type { FetchPolicy } from '../fetch-policy.js';
import type { LoadProgressEvent } from '../load-model.js';
import { createRuntimeFromStore, type Runtime } from '../runtime.js';
import { convertedCheckpoint, defaultCacheDirectory } from './conversion-cache.js';
import { modelStoreFromDirectory } from './directory-store.js';
import { type DownloadProgressEvent, downloadHubCheckpoint, parseHubModel } from './hub-checkpoint.js';
import { createNodeMediaLoader } from './node-media-loader.js';

/** Progress of converting a Hugging Face checkpoint on first load. */
export interface ConvertProgressEvent {
  readonly type: 'convert';
  readonly stage: string;
  readonly fraction: number;
}

/** Options of {@link createRuntime}. */
export interface CreateRuntimeOptions {
  /**
   * An ivl model directory, a Hugging Face InternVL checkpoint directory (converted once, cached),
   * or a Hub id, `hf:OpenGVLab/InternVL2_5-1B[@revision]` (downloaded once, converted once).
   */
  readonly model: string;
  /** A backend, e.g. `createNodeBackend({ device: ['cuda', 'cpu'] })`. */
  readonly backend: InferenceBackend;
  /** Which converted weights to load (converting a checkpoint to them). @default the best the model has */
  readonly dtype?: ModelDtype;
  readonly onProgress?: (event: LoadProgressEvent | ConvertProgressEvent | DownloadProgressEvent) => void;
  /** For `hf:` models: the Hub and where downloads are kept. @default $HF_ENDPOINT or huggingface.co, $HF_TOKEN, $XDG_CACHE_HOME/ivl/hub */
  readonly hub?: { readonly hubUrl?: string; readonly accessToken?: string; readonly directory?: string };
  readonly signal?: AbortSignal;
  /** Where converted checkpoints are kept. @default $XDG_CACHE_HOME/ivl/converted, else ~/.cache/ivl/converted */
  readonly cacheDirectory?: string;
  /** Tiles per vision-encoder run. @default 1 on the cpu device, 4 on GPUs (RUNTIME_DEFAULTS) */
  readonly microBatchSize?: number;
  /** Bytes of image embeddings kept for reuse (LRU). @default 256 MiB */
  readonly mediaCacheBytes?: number;
  /** Conversations whose KV caches are kept for follow-ups (LRU). @default 1 */
  readonly conversationSlots?: number;
  /**
   * What media URLs and files messages may make the runtime read: a byte cap, a timeout, bounded
   * redirects, public hosts only unless loopback/private are allowed, files only under `fileRoots`
   * when set. @default public http(s) hosts, 64 MiB, 30 s, 3 redirects, any local file
   */
  readonly fetchPolicy?: FetchPolicy;
}

/** What {@link prepareModel} needs of {@link CreateRuntimeOptions}. */
export type PrepareModelOptions = Pick<
  CreateRuntimeOptions,
  'model' | 'dtype' | 'signal' | 'cacheDirectory' | 'hub'
> & {
  readonly onProgress?: (event: ConvertProgressEvent | DownloadProgressEvent) => void;
};

/**
 * The ivl model directory a `model` option names: the directory itself, or a Hugging Face
 * checkpoint (local, or `hf:` downloaded first) converted once into the conversion cache. What
 * `createRuntime` loads, and what `ivl pull` prepares ahead of time.
 *
 * @throws {ModelLoadError} for a missing directory, or a Hub model that cannot be had
 */
export async function prepareModel(options: PrepareModelOptions): Promise<string> {
  const hubModel = parseHubModel(options.model);
  const directory = hubModel
    ? (
        await downloadHubCheckpoint(hubModel, {
          ...options.hub,
          ...(options.signal && { signal: options.signal }),
          ...(options.onProgress && { onProgress: options.onProgress }),
        })
      ).directory
    : resolve(options.model);
  if (!(await exists(directory))) {
    throw new ModelLoadError({ path: directory, message: `Model directory not found: ${directory}.` });
  }
  if (!(await exists(join(directory, 'ivl.json'))) && (await exists(join(directory, 'config.json')))) {
    return convertedCheckpoint(directory, {
      cacheDirectory: options.cacheDirectory ?? defaultCacheDirectory(),
      dtype: options.dtype ?? 'fp32',
      ...(options.signal && { signal: options.signal }),
      onProgress: ({ stage, fraction }) => options.onProgress?.({ type: 'convert', stage, fraction }),
    });
  }
  return directory;
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

/**
 * Loads an InternVL model for chat in Node.
 *
 * @example
 * ```ts
 * const runtime = await createRuntime({ model: './models/internvl2_5-1b', backend: createNodeBackend() });
 * const answer = await runtime.chat([{ role: 'user', content: [{ type: 'image', image: 'photo.jpg' }, { type: 'text', text: 'Describe it.' }] }]).text();
 * ```
 * @throws {ModelLoadError} for a missing or incompatible model directory
 */
export async function createRuntime(options: CreateRuntimeOptions): Promise<Runtime> {
  const directory = await prepareModel(options);
  return createRuntimeFromStore({
    store: modelStoreFromDirectory(directory),
    backend: options.backend,
    media: createNodeMediaLoader(options.fetchPolicy),
    ...(options.dtype && { dtype: options.dtype }),
    ...(options.signal && { signal: options.signal }),
    ...(options.microBatchSize && { microBatchSize: options.microBatchSize }),
    ...(options.mediaCacheBytes !== undefined && { mediaCacheBytes: options.mediaCacheBytes }),
    ...(options.conversationSlots !== undefined && { conversationSlots: options.conversationSlots }),
    ...(options.onProgress && { onProgress: options.onProgress }),
  });
}
