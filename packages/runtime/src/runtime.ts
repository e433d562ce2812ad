import {
  AbortedError,
  ContextOverflowError,
  createTensor,
  type InferenceBackend,
  InvalidArgumentError,
  type ModelDtype,
  type ModelManifest,
  type Tensor,
  throwIfAborted,
} from '@ivl/core';
import type { KvCache } from '@ivl/decoder';
import { projectEmbeddings } from '@ivl/projector';
import {
  applyCotPrompt,
  expandImagePlaceholders,
  IMAGE_PLACEHOLDER,
  renderConversation,
  videoPrefix,
} from '@ivl/prompt';
import { createSampler, createStopChecker, majorityVote } from '@ivl/sampling';
import { splitTileBudget, tileImage } from '@ivl/tiling';
import { encodeImages } from '@ivl/vision-encoder';
import type {
  ChatEvent,
  ChatOptions,
  ChatResult,
  ChatSample,
  ChatStream,
  FinishReason,
} from './chat-types.js';
import { type LoadedModel, type LoadModelOptions, loadModel } from './load-model.js';
import type { MediaLoader } from './media-loader.js';
import { type ChatMessage, type MediaItem, type Turn, toTurns } from './messages.js';
import type { ModelStore } from './model-store.js';

/** A prompt as the model will read it. */
export interface PreparedPrompt {
  readonly text: string;
  readonly ids: readonly number[];
  /** Tiles of each `<img>` block, in order (images, then each video frame as one). */
  readonly numTilesList: readonly number[];
  readonly media: readonly MediaItem[];
}

/** Counters for observing what the runtime did (tests, dashboards). */
export interface RuntimeStats {
  /** Decoder runs over more than one new token (prefills). */
  prefillCalls: number;
  prefillTokens: number;
  decodeSteps: number;
  encodedTiles: number;
}

/** A loaded InternVL model you can chat with. */
export interface Runtime {
  readonly manifest: ModelManifest;
  /** The weights in use (fp32, fp16, q8, q4). */
  readonly dtype: ModelDtype;
  readonly backend: InferenceBackend;
  readonly stats: RuntimeStats;
  /**
   * Answers the last user message of an OpenAI-shaped conversation, streaming events.
   * A follow-up on the same conversation reuses the KV cache of what is already computed, and
   * images already encoded are not encoded again.
   */
  chat(messages: readonly ChatMessage[], options?: ChatOptions): ChatStream;
  /** The prompt text, ids and image blocks `chat` would use (without running the model's stages). */
  preparePrompt(messages: readonly ChatMessage[], options?: ChatOptions): Promise<PreparedPrompt>;
  /** Forgets the cached conversation and encoded images. */
  reset(): void;
  dispose(): Promise<void>;
}

/** Settings of {@link createRuntimeFromStore}. */
export interface RuntimeSettings extends LoadModelOptions {
  readonly store: ModelStore;
  readonly backend: InferenceBackend;
  readonly media: MediaLoader;
  /** Tiles per vision-encoder run. @default 4 */
  readonly microBatchSize?: number;
}

const MULTIPLE_CHOICE = /(^|\n)\s*\(?[A-H][.)]\s+\S/;

interface EncodedMedia {
  /** Image embeddings rows [tiles·256, D]. */
  readonly rows: Float32Array;
  readonly tiles: number;
}

/**
 * Loads a model from a store and composes the stage packages into `chat`. Entry points wrap this:
 * `@ivl/runtime/node` (`createRuntime({ model: './dir' })`) and `@ivl/runtime/web`.
 */
export async function createRuntimeFromStore(settings: RuntimeSettings): Promise<Runtime> {
  const { backend, media, microBatchSize = 4 } = settings;
  await backend.init();
  const model: LoadedModel = await loadModel(settings.store, backend, settings);
  const { manifest, tokenizer, template, decoder } = model;
  const stats: RuntimeStats = { prefillCalls: 0, prefillTokens: 0, decodeSteps: 0, encodedTiles: 0 };
  const encoded = new Map<string, EncodedMedia>();
  let conversation: KvCache | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  const imEnd = manifest.tokens.imEnd;
  const hidden = manifest.dims.llmHidden;

  const tileBudget = (turns: readonly Turn[], options: ChatOptions) => {
    const images = turns.flatMap((turn) => turn.media).filter((item) => item.kind === 'image').length;
    return images > 1 ? splitTileBudget(options.maxTiles ?? 12, images) : (options.maxTiles ?? 12);
  };

  const mediaKey = (item: MediaItem, budget: number, frames: number) => {
    const key = media.key(item.source);
    return key === undefined
      ? undefined
      : item.kind === 'image'
        ? `image:${key}:${item.maxTiles ?? budget}`
        : `video:${key}:${item.frames ?? frames}`;
  };

  /** Decodes and tiles every media item (cheap next to encoding); returns tiles per block. */
  const prepareMedia = async (turns: readonly Turn[], options: ChatOptions) => {
    const budget = tileBudget(turns, options);
    const frames = options.videoFrames ?? 8;
    const items = turns.flatMap((turn) => turn.media);
    const pixels: (Tensor<'float32'> | Tensor<'float16'> | undefined)[] = [];
    const numTilesList: number[] = [];
    for (const item of items) {
      throwIfAborted(options.signal);
      const key = mediaKey(item, budget, frames);
      const cached = key ? encoded.get(key) : undefined;
      if (item.kind === 'image') {
        if (cached) {
          pixels.push(undefined);
          numTilesList.push(cached.tiles);
          continue;
        }
        const tiled = tileImage(await media.image(item.source, options.signal), {
          maxTiles: item.maxTiles ?? budget,
          tileSizePx: manifest.tileSizePx,
          mean: manifest.normalization.mean,
          std: manifest.normalization.std,
        });
        pixels.push(tiled.pixelValues);
        numTilesList.push(tiled.numTiles);
      } else {
        const count = item.frames ?? frames;
        pixels.push(
          cached ? undefined : await media.video(item.source, { frames: count, signal: options.signal }),
        );
        for (let i = 0; i < count; i++) numTilesList.push(1);
      }
    }
    return { items, pixels, numTilesList, budget, frames };
  };

  const buildText = (turns: readonly Turn[], system: string | undefined, options: ChatOptions) => {
    const imageCount = turns.flatMap((turn) => turn.media).filter((item) => item.kind === 'image').length;
    let imageNumber = 0;
    const rendered = turns.map((turn, index) => {
      let text = turn.text;
      if (index === turns.length - 1 && options.reasoning === 'cot') {
        const kind =
          options.cotKind && options.cotKind !== 'auto'
            ? options.cotKind
            : MULTIPLE_CHOICE.test(text)
              ? 'multiple-choice'
              : 'open-ended';
        text = applyCotPrompt(text, kind);
      }
      if (turn.media.length > 0 && !text.includes(IMAGE_PLACEHOLDER)) {
        let prefix = '';
        for (const item of turn.media) {
          if (item.kind === 'image') {
            imageNumber++;
            prefix +=
              imageCount > 1 ? `Image-${imageNumber}: ${IMAGE_PLACEHOLDER}\n` : `${IMAGE_PLACEHOLDER}\n`;
          } else {
            const count = item.frames ?? options.videoFrames ?? 8;
            prefix += videoPrefix(count, options.frameLabel);
          }
        }
        text = prefix + text;
      }
      return { question: text, ...(turn.answer !== undefined && { answer: turn.answer }) };
    });
    return renderConversation(
      template,
      rendered,
      options.systemMessage ?? system ?? manifest.systemMessage ?? null,
    );
  };

  const prepare = async (messages: readonly ChatMessage[], options: ChatOptions) => {
    const { system, turns } = toTurns(messages);
    const mediaPlan = await prepareMedia(turns, options);
    const text = expandImagePlaceholders(
      buildText(turns, system, options),
      mediaPlan.numTilesList,
      manifest.numImageToken,
    );
    const ids = tokenizer.encode(text);
    if (ids.length > manifest.dims.maxPositionEmbeddings) {
      throw new ContextOverflowError({
        neededTokens: ids.length,
        limitTokens: manifest.dims.maxPositionEmbeddings,
        hint: `The prompt alone has ${ids.length} tokens, ${mediaPlan.numTilesList.reduce((a, b) => a + b, 0) * manifest.numImageToken} of them image tokens. Use fewer tiles (maxTiles) or video frames, or a shorter history.`,
      });
    }
    return { text, ids, mediaPlan };
  };

  /** Image embeddings rows of all media in order, encoding only what is not cached. */
  const embedMedia = async (plan: Awaited<ReturnType<typeof prepareMedia>>, signal?: AbortSignal) => {
    const started = performance.now();
    const parts: Float32Array[] = [];
    let tiles = 0;
    let cachedItems = 0;
    for (const [index, item] of plan.items.entries()) {
      const key = mediaKey(item, plan.budget, plan.frames);
      const cached = key ? encoded.get(key) : undefined;
      if (cached) {
        parts.push(cached.rows);
        cachedItems++;
        continue;
      }
      const pixelValues = plan.pixels[index]!;
      const features = await encodeImages(model.sessions.vision_encoder, pixelValues, {
        microBatchSize,
        signal,
      });
      const embeds = await projectEmbeddings(model.sessions.projector, features, { signal });
      stats.encodedTiles += pixelValues.dims[0]!;
      tiles += pixelValues.dims[0]!;
      const entry = { rows: embeds.data, tiles: pixelValues.dims[0]! };
      if (key) encoded.set(key, entry);
      parts.push(entry.rows);
    }
    const rows = new Float32Array(parts.reduce((sum, part) => sum + part.length, 0));
    let offset = 0;
    for (const part of parts) {
      rows.set(part, offset);
      offset += part.length;
    }
    const images = plan.items.filter((item) => item.kind === 'image').length;
    return {
      rows,
      event: {
        type: 'image-encoded' as const,
        images,
        videos: plan.items.length - images,
        tiles,
        cachedItems,
        ms: performance.now() - started,
      },
    };
  };

  /** The longest reusable prefix of the cached conversation: never inside an <img> block. */
  const reusablePrefix = (ids: readonly number[]) => {
    const cached = conversation?.tokens ?? [];
    let length = 0;
    while (length < cached.length && length < ids.length - 1 && cached[length] === ids[length]) length++;
    let open = -1;
    for (let i = 0; i < length; i++) {
      if (ids[i] === manifest.tokens.imgStart) open = i;
      else if (ids[i] === manifest.tokens.imgEnd) open = -1;
    }
    return open === -1 ? length : open;
  };

  async function* generate(
    messages: readonly ChatMessage[],
    options: ChatOptions,
  ): AsyncGenerator<ChatEvent> {
    const votes = options.votes ?? 1;
    if (!Number.isInteger(votes) || votes < 1)
      throw new InvalidArgumentError({
        argument: 'votes',
        message: `\`votes\` must be a positive integer, got ${votes}.`,
      });
    const { ids, mediaPlan } = await prepare(messages, options);
    const { rows, event } = await embedMedia(mediaPlan, options.signal);
    if (mediaPlan.items.length > 0) yield event;

    const prefillStarted = performance.now();
    const reused = conversation ? reusablePrefix(ids) : 0;
    let cache: KvCache;
    if (conversation && reused > 0) {
      await conversation.truncate(reused);
      cache = conversation;
    } else {
      conversation?.dispose();
      cache = decoder.createCache();
    }
    conversation = cache;
    const suffix = ids.slice(reused);
    const imageRowsInSuffix = suffix.filter((id) => id === manifest.tokens.imgContext).length;
    const imageEmbeds =
      imageRowsInSuffix > 0
        ? createTensor(
            'float32',
            [imageRowsInSuffix / manifest.numImageToken, manifest.numImageToken, hidden],
            rows.subarray(rows.length - imageRowsInSuffix * hidden),
          )
        : undefined;
    const prefillLogits = await decoder.prefill(cache, suffix, {
      ...(imageEmbeds && { imageEmbeds }),
      signal: options.signal,
    });
    stats.prefillCalls++;
    stats.prefillTokens += suffix.length;
    yield {
      type: 'prefill-done',
      promptTokens: ids.length,
      reusedTokens: reused,
      ms: performance.now() - prefillStarted,
    };

    const defaults = model.generation;
    const maxNewTokens = options.maxNewTokens ?? defaults.maxNewTokens ?? 1024;
    const decodeStarted = performance.now();
    const samples: ChatSample[] = [];
    let generatedTotal = 0;
    for (let sample = 0; sample < votes; sample++) {
      // Every vote continues the one prefill: the last sample keeps the conversation cache itself.
      const branch = sample === votes - 1 ? cache : cache.fork();
      const sampler = createSampler({
        ...defaults.sampling,
        ...(votes > 1 && { doSample: true }),
        ...options,
        seed: (options.seed ?? 0) + sample,
      });
      const stop = createStopChecker({
        eosTokenIds: [imEnd],
        maxNewTokens,
        ...(options.stopStrings && { stopStrings: options.stopStrings }),
      });
      const stream = tokenizer.createStreamDecoder();
      const generated: number[] = [];
      let logits = prefillLogits;
      let finishReason: FinishReason = 'max-tokens';
      try {
        for (;;) {
          if (options.signal?.aborted) throw new AbortedError({ cause: options.signal.reason });
          const token = sampler.next(logits.slice(), { generatedIds: generated, promptIds: ids });
          generated.push(token);
          const text = token === imEnd ? '' : stream.push(token);
          const step = stop.push(token, text);
          if (step.text) yield { type: 'token-delta', text: step.text, tokenId: token, sample };
          if (step.done) {
            finishReason = step.reason!;
            break;
          }
          logits = await decoder.step(branch, token, { signal: options.signal });
          stats.decodeSteps++;
        }
      } finally {
        if (branch !== cache) branch.dispose();
      }
      generatedTotal += generated.length;
      const text = tokenizer.decodeReply(generated);
      samples.push({ text, tokenIds: generated, finishReason });
      const answer = votes > 1 ? majorityVote([text]).samples[0]?.extracted : undefined;
      yield { type: 'sample-done', sample, text, ...(answer !== undefined && { answer }) };
    }
    const decodeMs = performance.now() - decodeStarted;
    const vote = votes > 1 ? majorityVote(samples.map((s) => s.text)) : undefined;
    const winner = vote?.votes[0] ? samples[vote.votes[0].indices[0]!]! : samples[0]!;
    const result: ChatResult = {
      text: winner.text,
      finishReason: winner.finishReason,
      usage: {
        promptTokens: ids.length,
        imageTokens: ids.filter((id) => id === manifest.tokens.imgContext).length,
        reusedTokens: reused,
        generatedTokens: generatedTotal,
      },
      timings: {
        encodeMs: event.ms,
        prefillMs: decodeStarted - prefillStarted,
        decodeMs,
        decodeTokensPerSecond: generatedTotal / Math.max(decodeMs / 1000, 1e-9),
      },
      samples,
      ...(vote && { vote }),
    };
    yield { type: 'done', ...result };
  }

  const runtime: Runtime = {
    manifest,
    dtype: model.dtype,
    backend,
    stats,
    chat(messages, options = {}) {
      let final: ChatResult | undefined;
      // Calls run one after another: they share the conversation's KV cache.
      let release!: () => void;
      const previous = queue;
      queue = new Promise<void>((resolve) => {
        release = resolve;
      });
      const iterator = (async function* () {
        await previous.catch(() => undefined);
        try {
          for await (const event of generate(messages, options)) {
            if (event.type === 'done') final = event;
            yield event;
          }
        } catch (error) {
          if (AbortedError.isInstance(error) || options.signal?.aborted) {
            throw AbortedError.isInstance(error)
              ? error
              : new AbortedError({ cause: options.signal?.reason });
          }
          throw error;
        } finally {
          release();
        }
      })();
      const drain = async () => {
        for await (const _event of { [Symbol.asyncIterator]: () => iterator }) {
          // consumed for its side effects
        }
        if (!final) throw new AbortedError();
        return final;
      };
      return {
        [Symbol.asyncIterator]: () => iterator,
        result: () => (final ? Promise.resolve(final) : drain()),
        text: async () => (final ?? (await drain())).text,
      };
    },
    async preparePrompt(messages, options = {}) {
      const { text, ids, mediaPlan } = await prepare(messages, options);
      return { text, ids, numTilesList: mediaPlan.numTilesList, media: mediaPlan.items };
    },
    reset() {
      conversation?.dispose();
      conversation = undefined;
      encoded.clear();
    },
    async dispose() {
      runtime.reset();
      await model.dispose();
    },
  };
  return runtime;
}
