import {
  ContextOverflowError,
  createTensor,
  DisposedError,
  type InferenceBackend,
  InvalidArgumentError,
  type ModelDtype,
  type ModelManifest,
} from '@ivl/core';
import { buildChatPrompt, type ChatPromptTurn, parseGrounding, THINKING_SYSTEM_PROMPT } from '@ivl/prompt';
import { createGrammarEngine, type GrammarEngine, vocabularyFromTokenizerJson } from '@ivl/sampling';
import { splitTileBudget } from '@ivl/tiling';
import { CallQueue } from './call-queue.js';
import { createChatStream } from './chat-stream.js';
import type { ChatEvent, ChatOptions, ChatResult, ChatStream } from './chat-types.js';
import { ConversationCache, findPromptBlocks } from './conversation-cache.js';
import { generateSamples } from './generate-samples.js';
import { type LoadedModel, type LoadModelOptions, loadModel } from './load-model.js';
import { createMediaEncoder, type PreparedMedia } from './media-encoder.js';
import type { MediaLoader } from './media-loader.js';
import { type ChatMessage, type MediaItem, toTurns } from './messages.js';
import type { ModelStore } from './model-store.js';
import { RUNTIME_DEFAULTS } from './runtime-defaults.js';

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
  readonly prefillCalls: number;
  readonly prefillTokens: number;
  readonly decodeSteps: number;
  readonly encodedTiles: number;
  /** `<img>` blocks whose embeddings the media cache held / did not hold when they were needed. */
  readonly mediaCacheHits: number;
  readonly mediaCacheMisses: number;
  /** Bytes of embeddings in the media cache now (at most `mediaCacheBytes`). */
  readonly mediaCacheBytes: number;
  /** Calls waiting for their turn now. */
  readonly queuedCalls: number;
  /** Whether a call is running now. */
  readonly busy: boolean;
  /** Conversations whose KV caches are kept now. */
  readonly conversations: number;
}

/** A loaded InternVL model you can chat with. */
export interface Runtime {
  readonly manifest: ModelManifest;
  /** The weights in use (fp32, fp16, q8, q4, int8). */
  readonly dtype: ModelDtype;
  readonly backend: InferenceBackend;
  readonly stats: RuntimeStats;
  /**
   * Answers the last user message of an OpenAI-shaped conversation, streaming events.
   * Calls run one at a time, in the order their streams are first read. A follow-up reuses the KV
   * cache of what is already computed, up to the first token or image that differs; images
   * already encoded (the same pixels, wherever they came from) are not encoded again.
   */
  chat(messages: readonly ChatMessage[], options?: ChatOptions): ChatStream;
  /** The prompt text, ids and image blocks `chat` would use (without running the model's stages). */
  preparePrompt(messages: readonly ChatMessage[], options?: ChatOptions): Promise<PreparedPrompt>;
  /** Forgets the cached conversation and encoded images. */
  reset(): void;
  /**
   * Stops the running call, rejects the queued ones (and later ones) with a `DisposedError`,
   * and frees the sessions.
   */
  dispose(): Promise<void>;
}

/** Settings of {@link createRuntimeFromStore}. */
export interface RuntimeSettings extends LoadModelOptions {
  readonly store: ModelStore;
  readonly backend: InferenceBackend;
  readonly media: MediaLoader;
  /**
   * Tiles per vision-encoder run.
   * @default RUNTIME_DEFAULTS.cpuMicroBatchSize (1) on CPU devices, RUNTIME_DEFAULTS.microBatchSize (4) on GPUs
   */
  readonly microBatchSize?: number;
  /** Bytes of image embeddings kept for reuse, least recently used evicted first. @default RUNTIME_DEFAULTS.mediaCacheBytes (256 MiB) */
  readonly mediaCacheBytes?: number;
  /** Conversations whose KV caches are kept for follow-ups (least recently used dropped). @default RUNTIME_DEFAULTS.conversationSlots (1) */
  readonly conversationSlots?: number;
}

/** The devices that run on the CPU, by the names the backends give (`capabilities.device`). */
const CPU_DEVICES: ReadonlySet<string> = new Set(['cpu', 'wasm']);

/**
 * Loads a model from a store and composes the stage packages into `chat`. Entry points wrap this:
 * `@ivl/runtime/node` (`createRuntime({ model: './dir' })`) and `@ivl/runtime/web`.
 */
export async function createRuntimeFromStore(settings: RuntimeSettings): Promise<Runtime> {
  const { backend } = settings;
  await backend.init();
  const model: LoadedModel = await loadModel(settings.store, backend, settings);
  const { manifest, tokenizer, template, decoder } = model;
  const contextTokens = manifest.dims.maxPositionEmbeddings;
  const encoder = createMediaEncoder({
    loader: settings.media,
    manifest,
    visionEncoder: model.sessions.vision_encoder,
    projector: model.sessions.projector,
    microBatchSize:
      settings.microBatchSize ??
      (CPU_DEVICES.has(backend.capabilities.device)
        ? RUNTIME_DEFAULTS.cpuMicroBatchSize
        : RUNTIME_DEFAULTS.microBatchSize),
    cacheBytes: settings.mediaCacheBytes ?? RUNTIME_DEFAULTS.mediaCacheBytes,
  });
  // Made on the first constrained call: building XGrammar's vocabulary takes a few hundred ms.
  let grammar: Promise<GrammarEngine> | undefined;
  const grammarEngine = () => {
    grammar ??= createGrammarEngine(
      vocabularyFromTokenizerJson(model.tokenizerJson, {
        vocabSize: manifest.dims.vocabSize,
        stopTokenIds: [manifest.tokens.imEnd],
      }),
    );
    grammar.catch(() => {
      grammar = undefined;
    });
    return grammar;
  };
  const conversation = new ConversationCache(
    decoder,
    settings.conversationSlots ?? RUNTIME_DEFAULTS.conversationSlots,
  );
  const queue = new CallQueue();
  const disposing = new AbortController();
  const counters = { prefillCalls: 0, prefillTokens: 0, decodeSteps: 0, encodedTiles: 0 };
  const stats: RuntimeStats = {
    get prefillCalls() {
      return counters.prefillCalls;
    },
    get prefillTokens() {
      return counters.prefillTokens;
    },
    get decodeSteps() {
      return counters.decodeSteps;
    },
    get encodedTiles() {
      return counters.encodedTiles;
    },
    get mediaCacheHits() {
      return encoder.cache.hits;
    },
    get mediaCacheMisses() {
      return encoder.cache.misses;
    },
    get mediaCacheBytes() {
      return encoder.cache.bytes;
    },
    get queuedCalls() {
      return queue.depth;
    },
    get busy() {
      return queue.busy;
    },
    get conversations() {
      return conversation.size;
    },
  };

  /** Media decoded and identified, the prompt laid out with them, and its ids. */
  const prepare = async (messages: readonly ChatMessage[], options: ChatOptions) => {
    const { system, turns } = toTurns(messages);
    const items = turns.flatMap((turn) => turn.media);
    const maxTiles = options.maxTiles ?? RUNTIME_DEFAULTS.maxTiles;
    const images = items.filter((item) => item.kind === 'image').length;
    const media: PreparedMedia = await encoder.prepare(items, {
      imageTiles: images > 1 ? splitTileBudget(maxTiles, images) : maxTiles,
      videoFrames: options.videoFrames ?? RUNTIME_DEFAULTS.videoFrames,
      ...(options.signal && { signal: options.signal }),
    });
    let offset = 0;
    const promptTurns: ChatPromptTurn[] = turns.map((turn) => {
      const start = offset;
      offset += turn.media.length;
      return {
        question: turn.text,
        ...(turn.answer !== undefined && { answer: turn.answer }),
        media: media.promptMedia.slice(start, offset),
      };
    });
    const { text, numTilesList } = buildChatPrompt({
      turns: promptTurns,
      template,
      systemMessage:
        options.systemMessage ??
        system ??
        (options.reasoning === 'think' ? THINKING_SYSTEM_PROMPT : manifest.systemMessage) ??
        null,
      numImageToken: manifest.numImageToken,
      ...(options.frameLabel && { frameLabel: options.frameLabel }),
      ...(options.reasoning === 'cot' && { cot: options.cotKind ?? 'auto' }),
    });
    const ids = tokenizer.encode(text);
    if (ids.length > contextTokens) {
      throw new ContextOverflowError({
        neededTokens: ids.length,
        limitTokens: contextTokens,
        hint: `The prompt alone has ${ids.length} tokens, ${numTilesList.reduce((a, b) => a + b, 0) * manifest.numImageToken} of them image tokens. Use fewer tiles (maxTiles) or video frames, or a shorter history.`,
      });
    }
    return { text, ids, numTilesList, items, media };
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
    const constraint = options.responseFormat
      ? await (await grammarEngine()).compile(options.responseFormat)
      : undefined;
    const { ids, items, media } = await prepare(messages, options);
    const blocks = findPromptBlocks(
      ids,
      media.blocks.map((block) => block.key),
      manifest.tokens,
    );
    const { kv, reused } = await conversation.take(ids, blocks);

    // Only the blocks after the reused prefix are computed; those before it are in the KV cache.
    const first = blocks.findIndex((block) => block.start >= reused);
    const needed = first === -1 ? [] : media.blocks.slice(first);
    const embedded = await encoder.embed(needed, options.signal);
    counters.encodedTiles += embedded.encodedTiles;
    const imageCount = items.filter((item) => item.kind === 'image').length;
    if (items.length > 0) {
      yield {
        type: 'image-encoded',
        images: imageCount,
        videos: items.length - imageCount,
        tiles: embedded.encodedTiles,
        cachedItems: media.blocks.length - (needed.length - embedded.cachedBlocks),
        ms: embedded.ms,
      };
    }

    const prefillStarted = performance.now();
    const suffix = ids.slice(reused);
    const hidden = manifest.dims.llmHidden;
    const rowsPerBlock = manifest.numImageToken * hidden;
    const prefillLogits = await decoder.prefill(kv, suffix, {
      ...(embedded.rows.length > 0 && {
        imageEmbeds: createTensor(
          'float32',
          [embedded.rows.length / rowsPerBlock, manifest.numImageToken, hidden],
          embedded.rows,
        ),
      }),
      ...(options.signal && { signal: options.signal }),
    });
    conversation.commit(blocks, ids.length);
    counters.prefillCalls++;
    counters.prefillTokens += suffix.length;

    // The last token is sampled but never fed back, so the context holds one answer token more than its free room.
    const requested = options.maxNewTokens ?? model.generation.maxNewTokens ?? RUNTIME_DEFAULTS.maxNewTokens;
    const room = contextTokens - ids.length + 1;
    const maxNewTokens = Math.min(requested, room);
    yield {
      type: 'prefill-done',
      promptTokens: ids.length,
      reusedTokens: reused,
      maxNewTokens,
      ms: performance.now() - prefillStarted,
    };

    const decodeStarted = performance.now();
    const generated = yield* generateSamples(
      {
        decoder,
        tokenizer,
        generation: model.generation,
        imEnd: manifest.tokens.imEnd,
        onDecodeStep: () => counters.decodeSteps++,
        ...(constraint && { constraint }),
      },
      kv,
      prefillLogits,
      ids,
      options,
      { maxNewTokens, clipped: requested > room },
    );
    const decodeMs = performance.now() - decodeStarted;
    const { samples, vote } = generated;
    const winner = vote?.votes[0] ? samples[vote.votes[0].indices[0]!]! : samples[0]!;
    const result: ChatResult = {
      text: winner.text,
      ...(winner.reasoning !== undefined && { reasoning: winner.reasoning }),
      finishReason: winner.finishReason,
      usage: {
        promptTokens: ids.length,
        imageTokens: ids.filter((id) => id === manifest.tokens.imgContext).length,
        reusedTokens: reused,
        generatedTokens: generated.generatedTokens,
        maxNewTokens,
        maxNewTokensClipped: requested > room,
      },
      timings: {
        encodeMs: embedded.ms,
        prefillMs: decodeStarted - prefillStarted,
        decodeMs,
        decodeTokensPerSecond: generated.generatedTokens / Math.max(decodeMs / 1000, 1e-9),
        constraintMs: generated.constraintMs,
      },
      samples,
      ...(vote && { vote }),
      grounding: parseGrounding(winner.text, media.imageSizes.length === 1 ? media.imageSizes[0] : undefined),
    };
    yield { type: 'done', ...result };
  }

  const runtime: Runtime = {
    manifest,
    dtype: model.dtype,
    backend,
    stats,
    chat(messages, options = {}) {
      const signal = options.signal ? AbortSignal.any([options.signal, disposing.signal]) : disposing.signal;
      return createChatStream(() => generate(messages, { ...options, signal }), queue, {
        ...(options.signal && { call: options.signal }),
        disposed: disposing.signal,
      });
    },
    async preparePrompt(messages, options = {}) {
      const { text, ids, numTilesList, items } = await prepare(messages, options);
      return { text, ids, numTilesList, media: items };
    },
    reset() {
      conversation.reset();
      encoder.cache.clear();
    },
    async dispose() {
      if (disposing.signal.aborted) return;
      queue.close(new DisposedError({ resource: 'runtime' }));
      disposing.abort(new DisposedError({ resource: 'runtime' }));
      await queue.whenIdle();
      runtime.reset();
      (await grammar?.catch(() => undefined))?.dispose();
      await model.dispose();
    },
  };
  return runtime;
}
