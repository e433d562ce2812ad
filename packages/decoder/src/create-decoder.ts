import {
  type BackendSession,
  ContextOverflowError,
  createTensor,
  type DeviceTensor,
  ShapeMismatchError,
  type Tensor,
  throwIfAborted,
} from '@ivl/core';
import { KvCache } from './kv-cache.js';

/** Settings of {@link createDecoder} (the numbers come from `ivl.json`). */
export interface DecoderSettings {
  /** `embed_tokens`: input_ids → inputs_embeds. */
  readonly embedSession: BackendSession;
  /** `decoder_model_merged`. */
  readonly decoderSession: BackendSession;
  readonly layers: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly hidden: number;
  /** Most tokens the context may hold (the model's max_position_embeddings, or less). */
  readonly maxContextTokens: number;
  /** Id of `<IMG_CONTEXT>`, whose positions receive image embeddings. */
  readonly imageContextTokenId: number;
  /**
   * The graph takes past inputs longer than the cache (`decoderPast: 'capacity'` in `ivl.json`)
   * and its present outputs live in host memory: keep the cache in growable buffers written in
   * place. @default false
   */
  readonly pastCapacity?: boolean;
}

/** Options of {@link Decoder.prefill}. */
export interface PrefillOptions {
  /** Image embeddings [N, 256, D] for the `<IMG_CONTEXT>` positions of the ids, in order. */
  readonly imageEmbeds?: Tensor<'float32'>;
  readonly signal?: AbortSignal;
}

/** The LLM stage: embeddings, image scatter, prefill and decode steps over a {@link KvCache}. */
export interface Decoder {
  readonly settings: DecoderSettings;
  /** A new, empty cache. */
  createCache(): KvCache;
  /** Token embeddings [1, T, D]. */
  embed(ids: readonly number[], signal?: AbortSignal): Promise<Tensor<'float32'>>;
  /**
   * Writes image embeddings over the `<IMG_CONTEXT>` rows of `embeds` (a hard overwrite, tile-major,
   * as the official `generate`), returning a new tensor.
   * @throws {ShapeMismatchError} when the number of `<IMG_CONTEXT>` tokens differs from N·256
   */
  scatterImageEmbeddings(
    embeds: Tensor<'float32'>,
    ids: readonly number[],
    imageEmbeds: Tensor<'float32'>,
  ): Tensor<'float32'>;
  /**
   * Runs `ids` (with image embeddings scattered in) after what `cache` holds; returns the logits of
   * the last position only.
   * @throws {ContextOverflowError} when the cache plus `ids` exceed `maxContextTokens`
   */
  prefill(cache: KvCache, ids: readonly number[], options?: PrefillOptions): Promise<Float32Array>;
  /** One decode step: appends `id` to the cache and returns the next logits. */
  step(cache: KvCache, id: number, options?: { signal?: AbortSignal }): Promise<Float32Array>;
}

/** Tokens of one prefill run at most: bounds its working memory, costs nothing measurable in speed. */
const PREFILL_CHUNK_TOKENS = 256;

/**
 * Creates the decoder stage over two backend sessions.
 *
 * The KV cache: with `pastCapacity`, host buffers with room to grow, passed as the past without a
 * copy, into which each run's new rows are written (its presents are never fetched, so no step
 * copies the past); otherwise the present tensors of each run, which a session created with
 * `deviceOutputs: ['present.*']` on WebGPU returns as GPU buffers, fed back without leaving the GPU.
 */
export function createDecoder(settings: DecoderSettings): Decoder {
  const {
    embedSession,
    decoderSession,
    layers,
    kvHeads,
    headDim,
    hidden,
    maxContextTokens,
    imageContextTokenId,
    pastCapacity = false,
  } = settings;

  const embed = async (ids: readonly number[], signal?: AbortSignal) => {
    const { inputs_embeds: embeds } = await embedSession.run(
      {
        input_ids: createTensor(
          'int64',
          [1, ids.length],
          BigInt64Array.from(ids, (id) => BigInt(id)),
        ),
      },
      { signal },
    );
    return embeds as Tensor<'float32'>;
  };

  const scatterImageEmbeddings = (
    embeds: Tensor<'float32'>,
    ids: readonly number[],
    imageEmbeds: Tensor<'float32'>,
  ) => {
    const positions: number[] = [];
    ids.forEach((id, index) => {
      if (id === imageContextTokenId) positions.push(index);
    });
    const rows = imageEmbeds.data.length / hidden;
    if (positions.length !== rows || imageEmbeds.dims.at(-1) !== hidden) {
      throw new ShapeMismatchError({
        message:
          `The prompt has ${positions.length} <IMG_CONTEXT> tokens but the image embeddings [${imageEmbeds.dims.join(', ')}] fill ${rows}. ` +
          'Expand each <image> to 256 tokens per tile (buildPrompt does), and pass every image.',
        expectedDims: [positions.length, hidden],
        actualDims: imageEmbeds.dims,
      });
    }
    const data = embeds.data.slice();
    for (const [row, position] of positions.entries()) {
      data.set(imageEmbeds.data.subarray(row * hidden, (row + 1) * hidden), position * hidden);
    }
    return createTensor('float32', embeds.dims, data);
  };

  const forward = async (
    cache: KvCache,
    ids: readonly number[],
    embeds: Tensor<'float32'>,
    signal?: AbortSignal,
  ) => {
    const past = cache.length;
    const total = past + ids.length;
    if (total > maxContextTokens) {
      throw new ContextOverflowError({ neededTokens: total, limitTokens: maxContextTokens });
    }
    throwIfAborted(signal);
    const io = cache.runIo(ids.length);
    const outputs = await decoderSession.run(
      {
        inputs_embeds: embeds,
        attention_mask: createTensor('int64', [1, total], new BigInt64Array(total).fill(1n)),
        position_ids: createTensor(
          'int64',
          [1, ids.length],
          BigInt64Array.from(ids, (_, t) => BigInt(past + t)),
        ),
        num_logits_to_keep: createTensor('int64', [], BigInt64Array.from([1n])),
        ...io.feeds,
      },
      { signal, ...(io.outputs && { outputs: io.outputs }) },
    );
    const logits = outputs.logits as Tensor<'float32'> | DeviceTensor<'float32'>;
    const host = 'kind' in logits ? await logits.download() : logits;
    cache.advance(outputs as Record<string, Tensor<'float32'>>, ids);
    return host.data;
  };

  return {
    settings,
    createCache: () => new KvCache(layers, kvHeads, headDim, pastCapacity),
    embed,
    scatterImageEmbeddings,
    async prefill(cache, ids, options = {}) {
      if (cache.length + ids.length > maxContextTokens) {
        throw new ContextOverflowError({
          neededTokens: cache.length + ids.length,
          limitTokens: maxContextTokens,
        });
      }
      let embeds = await embed(ids, options.signal);
      const hasImageTokens = ids.includes(imageContextTokenId);
      if (options.imageEmbeds || hasImageTokens) {
        embeds = scatterImageEmbeddings(
          embeds,
          ids,
          options.imageEmbeds ?? createTensor('float32', [0, 256, hidden]),
        );
      }
      // In chunks: the attention scores and MLP activations of a run grow with its length (a
      // 1,829-token run holds 14 × 1829² scores per layer), and onnxruntime's arena keeps its
      // largest allocation for the life of the session. Each chunk attends to the ones before
      // through the cache, so the result is the same. The cache's room for all of them is made
      // once, first.
      cache.reserve(cache.length + ids.length);
      let logits: Float32Array | undefined;
      for (let start = 0; start < ids.length || logits === undefined; start += PREFILL_CHUNK_TOKENS) {
        const chunk = ids.slice(start, start + PREFILL_CHUNK_TOKENS);
        const rows = embeds.data.subarray(start * hidden, (start + chunk.length) * hidden);
        const chunkEmbeds = createTensor('float32', [1, chunk.length, hidden], rows);
        logits = await forward(cache, chunk, chunkEmbeds, options.signal);
      }
      return logits;
    },
    async step(cache, id, options = {}) {
      return forward(cache, [id], await embed([id], options.signal), options.signal);
    },
  };
}
