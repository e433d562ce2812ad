import type {
  LanguageModelV4,
  LanguageModelV4CallOptions,
  LanguageModelV4FinishReason,
  LanguageModelV4GenerateResult,
  LanguageModelV4StreamPart,
  LanguageModelV4StreamResult,
  LanguageModelV4Usage,
  SharedV4ProviderMetadata,
} from '@ai-sdk/provider';
import type { ChatResult, FinishReason, Runtime } from '@ivl/runtime';
import { chatOptionsOf } from './call-options.js';
import { convertPrompt } from './convert-prompt.js';

const FINISH: Record<FinishReason, LanguageModelV4FinishReason['unified']> = {
  eos: 'stop',
  'stop-string': 'stop',
  'max-tokens': 'length',
  // The context filled up: also "length" to the AI SDK, with the raw reason kept.
  length: 'length',
};

const finishReason = (reason: FinishReason): LanguageModelV4FinishReason => ({
  unified: FINISH[reason],
  raw: reason,
});

function usageOf(result: ChatResult): LanguageModelV4Usage {
  const { promptTokens, reusedTokens, generatedTokens } = result.usage;
  return {
    // Reused tokens are the KV cache of the previous turn: the AI SDK's cache reads.
    inputTokens: {
      total: promptTokens,
      noCache: promptTokens - reusedTokens,
      cacheRead: reusedTokens,
      cacheWrite: undefined,
    },
    outputTokens: { total: generatedTokens, text: generatedTokens, reasoning: undefined },
  };
}

/** What only ivl knows, under `providerMetadata.ivl`: image tokens, timings, grounded boxes, the vote. */
function metadataOf(result: ChatResult): SharedV4ProviderMetadata {
  return {
    ivl: JSON.parse(
      JSON.stringify({
        imageTokens: result.usage.imageTokens,
        maxNewTokensClipped: result.usage.maxNewTokensClipped,
        timings: result.timings,
        grounding: result.grounding,
        ...(result.vote && { vote: result.vote }),
      }),
    ),
  };
}

/** A runtime, or a promise of one (loaded on first use and shared by every call). */
export type RuntimeSource = Runtime | (() => Promise<Runtime>);

/**
 * An ivl runtime as an AI SDK language model (specification v4): `generateText` / `streamText`
 * with image and video parts, abort, usage and finish reasons mapped. Calls take turns on the
 * runtime, as the runtime's own calls do.
 */
export class IvlLanguageModel implements LanguageModelV4 {
  readonly specificationVersion = 'v4';
  readonly provider = 'ivl';
  readonly modelId: string;
  // URLs are handed to the runtime, whose fetch policy bounds them, instead of the AI SDK's downloader.
  readonly supportedUrls = { 'image/*': [/^https?:\/\//, /^data:/], 'video/*': [/^https?:\/\//, /^data:/] };
  readonly #runtime: () => Promise<Runtime>;

  constructor(modelId: string, runtime: RuntimeSource) {
    this.modelId = modelId;
    let loaded: Promise<Runtime> | undefined;
    this.#runtime =
      typeof runtime === 'function'
        ? () => {
            loaded ??= runtime();
            return loaded;
          }
        : () => Promise.resolve(runtime);
  }

  #prepare(options: LanguageModelV4CallOptions) {
    const { chat, warnings, videoFrames } = chatOptionsOf(options);
    const { messages, systemMessage } = convertPrompt(options.prompt, videoFrames);
    return { messages, chat: { ...chat, ...(systemMessage !== undefined && { systemMessage }) }, warnings };
  }

  async doGenerate(options: LanguageModelV4CallOptions): Promise<LanguageModelV4GenerateResult> {
    const { messages, chat, warnings } = this.#prepare(options);
    const runtime = await this.#runtime();
    const result = await runtime.chat(messages, chat).result();
    return {
      content: [
        ...(result.reasoning !== undefined ? [{ type: 'reasoning' as const, text: result.reasoning }] : []),
        { type: 'text', text: result.text },
      ],
      finishReason: finishReason(result.finishReason),
      usage: usageOf(result),
      providerMetadata: metadataOf(result),
      warnings,
      response: { modelId: this.modelId, timestamp: new Date() },
    };
  }

  async doStream(options: LanguageModelV4CallOptions): Promise<LanguageModelV4StreamResult> {
    const { messages, chat, warnings } = this.#prepare(options);
    const runtime = await this.#runtime();
    const events = runtime.chat(messages, chat)[Symbol.asyncIterator]();
    const votes = (chat.votes ?? 1) > 1;
    const modelId = this.modelId;
    let started = false;
    // Thinking mode: the think section streams as one reasoning part before the text.
    let reasoning: 'none' | 'open' | 'closed' = 'none';
    const stream = new ReadableStream<LanguageModelV4StreamPart>({
      start(controller) {
        controller.enqueue({ type: 'stream-start', warnings });
        controller.enqueue({ type: 'response-metadata', modelId, timestamp: new Date() });
      },
      // Pulled: a reader that stops reading stops generation at the next token.
      async pull(controller) {
        try {
          for (;;) {
            const next = await events.next();
            if (next.done) {
              controller.close();
              return;
            }
            const event = next.value;
            if (event.type === 'token-delta' && event.reasoning && !votes) {
              if (reasoning === 'none') controller.enqueue({ type: 'reasoning-start', id: 'reasoning-0' });
              reasoning = 'open';
              controller.enqueue({ type: 'reasoning-delta', id: 'reasoning-0', delta: event.text });
              return;
            }
            if (event.type === 'token-delta' && !votes) {
              if (reasoning === 'open') controller.enqueue({ type: 'reasoning-end', id: 'reasoning-0' });
              if (reasoning === 'open') reasoning = 'closed';
              if (!started) controller.enqueue({ type: 'text-start', id: '0' });
              started = true;
              controller.enqueue({ type: 'text-delta', id: '0', delta: event.text });
              return;
            }
            if (event.type === 'done') {
              if (reasoning === 'open') controller.enqueue({ type: 'reasoning-end', id: 'reasoning-0' });
              // With votes the answer is known only once the vote is done: one delta, the winner.
              if (votes && event.reasoning !== undefined) {
                controller.enqueue({ type: 'reasoning-start', id: 'reasoning-0' });
                controller.enqueue({ type: 'reasoning-delta', id: 'reasoning-0', delta: event.reasoning });
                controller.enqueue({ type: 'reasoning-end', id: 'reasoning-0' });
              }
              if (votes || !started) {
                controller.enqueue({ type: 'text-start', id: '0' });
                if (event.text) controller.enqueue({ type: 'text-delta', id: '0', delta: event.text });
              }
              controller.enqueue({ type: 'text-end', id: '0' });
              controller.enqueue({
                type: 'finish',
                finishReason: finishReason(event.finishReason),
                usage: usageOf(event),
                providerMetadata: metadataOf(event),
              });
              // Ends the runtime's stream, which gives the runtime to the next call.
              await events.return?.();
              controller.close();
              return;
            }
          }
        } catch (error) {
          await events.return?.();
          controller.enqueue({ type: 'error', error });
          controller.close();
        }
      },
      async cancel() {
        await events.return?.();
      },
    });
    return { stream };
  }
}
