import {
  type BackendSession,
  type InferenceBackend,
  MODEL_DTYPES,
  type ModelDtype,
  ModelLoadError,
  type ModelManifest,
  type ModelPart,
  partBytes,
  throwIfAborted,
} from '@ivl/core';
import { createDecoder, type Decoder } from '@ivl/decoder';
import { type ConversationTemplate, createTokenizer, getTemplate, type IvlTokenizer } from '@ivl/prompt';
import { fromGenerationConfig, type GenerationDefaults } from '@ivl/sampling';
import { parseManifest } from './manifest-schema.js';
import type { ModelStore } from './model-store.js';

/**
 * Load progress, in bytes of every file of the model (graphs and external weights, as `ivl.json`
 * lists them): as they download (from a URL) and as each part's session becomes ready.
 */
export interface LoadProgressEvent {
  readonly type: 'load';
  /** The part's `.onnx` file. */
  readonly file: string;
  /** Bytes of this part's files. */
  readonly bytes: number;
  readonly loadedBytes: number;
  readonly totalBytes: number;
  /** Parts whose sessions are ready. */
  readonly loadedFiles: number;
  readonly fileCount: number;
}

/** Options of {@link loadModel}. */
export interface LoadModelOptions {
  /** Which converted weights to use. @default the first of fp32, fp16, q8, q4, int8 the model has */
  readonly dtype?: ModelDtype;
  readonly onProgress?: (event: LoadProgressEvent) => void;
  readonly signal?: AbortSignal;
}

/** A loaded model: sessions, tokenizer, template, generation defaults. */
export interface LoadedModel {
  readonly manifest: ModelManifest;
  readonly dtype: ModelDtype;
  readonly tokenizer: IvlTokenizer;
  /** The `tokenizer.json` itself (its vocabulary drives constrained decoding). */
  readonly tokenizerJson: Record<string, unknown>;
  readonly template: ConversationTemplate;
  readonly generation: GenerationDefaults;
  readonly sessions: Readonly<Record<ModelPart, BackendSession>>;
  readonly decoder: Decoder;
  dispose(): Promise<void>;
}

const PARTS: readonly ModelPart[] = ['vision_encoder', 'projector', 'embed_tokens', 'decoder_model_merged'];
/** The parts an image runs through: run rarely, with large intermediates. */
const IMAGE_PARTS: ReadonlySet<ModelPart> = new Set(['vision_encoder', 'projector']);

async function readJson(
  store: ModelStore,
  file: string,
  required: boolean,
): Promise<Record<string, unknown> | undefined> {
  const text = await store.readText(file);
  if (text === undefined) {
    if (!required) return undefined;
    throw new ModelLoadError({
      path: `${store.location}/${file}`,
      message: `Missing ${file} in ${store.location}. Is this an ivl model directory? Convert a Hugging Face checkpoint with \`ivl convert <checkpoint> <out>\`.`,
    });
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new ModelLoadError({
      path: `${store.location}/${file}`,
      message: `${file} in ${store.location} is not valid JSON.`,
      cause: error,
    });
  }
}

/**
 * Reads `ivl.json`, checks the format version, and opens the four ONNX parts, the tokenizer and
 * the generation defaults.
 *
 * @throws {ModelLoadError} for missing files, an incompatible converter version or a missing dtype
 */
export async function loadModel(
  store: ModelStore,
  backend: InferenceBackend,
  options: LoadModelOptions = {},
): Promise<LoadedModel> {
  const manifest = parseManifest(await readJson(store, 'ivl.json', true), store.location);
  const available = manifest.files.decoder_model_merged ?? {};
  const has = MODEL_DTYPES.filter((d) => available[d] !== undefined);
  const dtype = options.dtype ?? has[0];
  if (!dtype || PARTS.some((part) => !manifest.files[part]?.[dtype])) {
    throw new ModelLoadError({
      path: `${store.location}/ivl.json`,
      message: `${store.location} has no complete ${options.dtype ?? 'set of'} weights. Available: ${has.join(', ') || 'none'}.`,
    });
  }
  const tokenizerJson = await readJson(store, 'tokenizer.json', true);
  const tokenizerConfig = await readJson(store, 'tokenizer_config.json', false);
  const generationConfig = (await readJson(store, 'generation_config.json', false)) ?? {};
  const tokenizer = createTokenizer(tokenizerJson, tokenizerConfig, { family: manifest.family });
  const generation = fromGenerationConfig(generationConfig);
  const template = getTemplate(manifest.template);

  const files = PARTS.map((part) => manifest.files[part][dtype]!);
  const sizes = files.map(partBytes);
  const totalBytes = sizes.reduce((a, b) => a + b, 0);
  const sessions: Partial<Record<ModelPart, BackendSession>> = {};
  let doneBytes = 0;
  try {
    for (const [index, part] of PARTS.entries()) {
      throwIfAborted(options.signal);
      const event = (partLoaded: number, loadedFiles: number) =>
        options.onProgress?.({
          type: 'load',
          file: files[index]!.onnx.path,
          bytes: sizes[index]!,
          loadedBytes: doneBytes + partLoaded,
          totalBytes,
          loadedFiles,
          fileCount: PARTS.length,
        });
      const deviceOutputs =
        part === 'decoder_model_merged' && backend.capabilities.deviceResidentOutputs
          ? Array.from({ length: manifest.dims.layers }, (_, layer) => [
              `present.${layer}.key`,
              `present.${layer}.value`,
            ]).flat()
          : undefined;
      const source = await store.partSource(files[index]!, {
        onBytes: (bytes) => event(bytes, index),
        ...(options.signal && { signal: options.signal }),
      });
      sessions[part] = await backend.createSession(source, {
        ...(deviceOutputs && { deviceOutputs }),
        // The image parts run once per tile, seconds apart; their intermediates (~160 MB a tile at
        // InternViT-300M) would otherwise stay held beside the decoder's for the session's life.
        ...(IMAGE_PARTS.has(part) && { runMemory: 'release' as const }),
        signal: options.signal,
      });
      doneBytes += sizes[index]!;
      event(0, index + 1);
    }
  } catch (error) {
    await Promise.all(Object.values(sessions).map((session) => session.dispose()));
    throw error;
  }
  const all = sessions as Record<ModelPart, BackendSession>;
  const decoder = createDecoder({
    embedSession: all.embed_tokens,
    decoderSession: all.decoder_model_merged,
    layers: manifest.dims.layers,
    kvHeads: manifest.dims.kvHeads,
    headDim: manifest.dims.headDim,
    hidden: manifest.dims.llmHidden,
    maxContextTokens: manifest.dims.maxPositionEmbeddings,
    imageContextTokenId: manifest.tokens.imgContext,
    pastCapacity: manifest.decoderPast === 'capacity' && !backend.capabilities.deviceResidentOutputs,
  });
  return {
    manifest,
    dtype,
    tokenizer,
    tokenizerJson: tokenizerJson!,
    template,
    generation,
    sessions: all,
    decoder,
    async dispose() {
      await Promise.all(Object.values(all).map((session) => session.dispose()));
    },
  };
}
