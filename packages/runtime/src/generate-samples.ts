import { AbortedError } from '@ivl/core';
import type { Decoder, KvCache } from '@ivl/decoder';
import { type IvlTokenizer, splitThinking, THINK_CLOSE, THINK_OPEN, THINKING_SAMPLING } from '@ivl/prompt';
import {
  type CompiledConstraint,
  createSampler,
  createStopChecker,
  type GenerationDefaults,
  majorityVote,
  type VoteResult,
} from '@ivl/sampling';
import type { ChatEvent, ChatOptions, ChatSample, FinishReason } from './chat-types.js';

/** What {@link generateSamples} needs of the loaded model. */
export interface SampleSettings {
  readonly decoder: Decoder;
  readonly tokenizer: IvlTokenizer;
  readonly generation: GenerationDefaults;
  /** `<|im_end|>`: ends an answer. */
  readonly imEnd: number;
  readonly onDecodeStep: () => void;
  /** With a response format: the compiled grammar each sample follows. */
  readonly constraint?: CompiledConstraint;
}

/** What the samples came to. */
export interface GeneratedSamples {
  readonly samples: readonly ChatSample[];
  readonly generatedTokens: number;
  readonly vote?: VoteResult;
  /** Time spent on grammar masks. */
  readonly constraintMs: number;
}

/**
 * Samples `votes` answers that all continue one prefill (each vote but the last on a fork of the
 * cache; the last keeps the cache itself, so the conversation holds its answer), streaming their
 * tokens, then majority-votes their final answers.
 *
 * @param maxNewTokens - the answer budget already clipped to the context; `clipped` says it was,
 *   and an answer that runs into it ends with finish reason `length`
 */
export async function* generateSamples(
  settings: SampleSettings,
  kv: KvCache,
  prefillLogits: Float32Array,
  promptIds: readonly number[],
  options: ChatOptions,
  budget: { readonly maxNewTokens: number; readonly clipped: boolean },
): AsyncGenerator<ChatEvent, GeneratedSamples> {
  const { decoder, tokenizer, imEnd } = settings;
  const votes = options.votes ?? 1;
  const thinking = options.reasoning === 'think';
  // Qwen3's <think> and </think> are single tokens: the stream switches channel on them.
  const thinkOpen = thinking ? tokenizer.tokenId(THINK_OPEN) : undefined;
  const thinkClose = thinking ? tokenizer.tokenId(THINK_CLOSE) : undefined;
  const samples: ChatSample[] = [];
  let generatedTokens = 0;
  let constraintMs = 0;
  for (let sample = 0; sample < votes; sample++) {
    const branch = sample === votes - 1 ? kv : kv.fork();
    const sampler = createSampler({
      ...settings.generation.sampling,
      ...(thinking && THINKING_SAMPLING),
      ...(votes > 1 && { doSample: true }),
      ...options,
      seed: (options.seed ?? 0) + sample,
    });
    const stop = createStopChecker({
      eosTokenIds: [imEnd],
      maxNewTokens: budget.maxNewTokens,
      ...(options.stopStrings && { stopStrings: options.stopStrings }),
    });
    const stream = tokenizer.createStreamDecoder();
    const generated: number[] = [];
    let logits = prefillLogits;
    let finishReason: FinishReason = 'max-tokens';
    let inReasoning = false;
    const constraint = await settings.constraint?.start();
    try {
      for (;;) {
        if (options.signal?.aborted) throw new AbortedError({ cause: options.signal.reason });
        const maskStarted = performance.now();
        const allowedTokens = await constraint?.nextBitmask();
        constraintMs += performance.now() - maskStarted;
        const token = sampler.next(logits.slice(), {
          generatedIds: generated,
          promptIds,
          ...(allowedTokens && { allowedTokens }),
        });
        constraint?.accept(token);
        generated.push(token);
        const text = token === imEnd ? '' : stream.push(token);
        const step = stop.push(token, text);
        if (token === thinkOpen) inReasoning = true;
        const tag = token === thinkOpen || token === thinkClose;
        if (step.text && !tag) {
          yield {
            type: 'token-delta',
            text: step.text,
            tokenId: token,
            sample,
            ...(inReasoning && { reasoning: true as const }),
          };
        }
        if (token === thinkClose) inReasoning = false;
        if (step.done) {
          finishReason = step.reason === 'max-tokens' && budget.clipped ? 'length' : step.reason!;
          break;
        }
        logits = await decoder.step(branch, token, { ...(options.signal && { signal: options.signal }) });
        settings.onDecodeStep();
      }
    } finally {
      constraint?.dispose();
      if (branch !== kv) branch.dispose();
    }
    generatedTokens += generated.length;
    const reply = tokenizer.decodeReply(generated);
    const split = thinking ? splitThinking(reply) : { answer: reply };
    const text = split.answer;
    samples.push({
      text,
      ...(split.reasoning !== undefined && { reasoning: split.reasoning }),
      tokenIds: generated,
      finishReason,
    });
    const answer = votes > 1 ? majorityVote([text]).samples[0]?.extracted : undefined;
    yield { type: 'sample-done', sample, text, ...(answer !== undefined && { answer }) };
  }
  const vote = votes > 1 ? majorityVote(samples.map((s) => s.text)) : undefined;
  return { samples, generatedTokens, constraintMs, ...(vote && { vote }) };
}
