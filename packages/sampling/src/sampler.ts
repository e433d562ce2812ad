import { checkLogits, checkRange } from './check-options.js';
import {
  applyTokenBitmask,
  banTokens,
  type LogitsContext,
  type LogitsProcessor,
  logitBias,
  minP,
  presenceFrequencyPenalty,
  repetitionPenalty,
  temperature,
  topK,
  topP,
} from './logits-processors.js';
import { createRng, type Rng } from './rng.js';
import { greedyToken, sampleToken } from './select-token.js';

/**
 * How the next token is chosen. Names follow HF `GenerationConfig` in camelCase, with its defaults.
 */
export interface SamplingOptions {
  /** Sample (true) or take the most likely token (false), whatever the other settings. @default false */
  readonly doSample?: boolean;
  /** > 0; with `doSample`, 0 means greedy. @default 1 */
  readonly temperature?: number;
  /** Keep the k most likely tokens; 0 disables. @default 50 (HF's default) */
  readonly topK?: number;
  /** Nucleus mass in (0, 1]. @default 1 */
  readonly topP?: number;
  /** Relative probability floor in [0, 1]. @default 0 */
  readonly minP?: number;
  /** HF repetition penalty (> 0, 1 = off) over generated tokens. @default 1 */
  readonly repetitionPenalty?: number;
  /** Also penalize prompt tokens (HF does when it has `input_ids`; InternVL's `chat()` does not). @default false */
  readonly penalizePrompt?: boolean;
  /** OpenAI-style presence penalty in [-2, 2]. @default 0 */
  readonly presencePenalty?: number;
  /** OpenAI-style frequency penalty in [-2, 2]. @default 0 */
  readonly frequencyPenalty?: number;
  /** Bias added to the logits of some token ids. */
  readonly logitBias?: Readonly<Record<number, number>>;
  /** Token ids that are never generated. */
  readonly bannedTokenIds?: readonly number[];
  /** Seed of the sampling RNG; the same seed gives the same tokens on every platform. @default 0 */
  readonly seed?: number;
  /** An RNG to use instead of one made from `seed` (e.g. one shared by several samplers). */
  readonly rng?: Rng;
}

/** Chooses tokens one step at a time. */
export interface Sampler {
  /** Whether tokens are drawn at random (false: greedy). */
  readonly sampling: boolean;
  /** The processors applied before the choice, in order. */
  readonly processors: readonly LogitsProcessor[];
  /**
   * Picks the next token. `logits` is modified in place.
   * @throws {InvalidArgumentError} for NaN/+Infinity logits, or when every token ends up masked
   */
  next(logits: Float32Array, context: LogitsContext): number;
}

/**
 * Builds a sampler. Processors run in HF's order: repetition penalty, presence/frequency
 * penalties, logit bias, banned tokens, then (when sampling) temperature, top-k, top-p, min-p.
 *
 * @example
 * ```ts
 * const sampler = createSampler({ doSample: true, temperature: 0.7, topP: 0.9, seed: 1 });
 * const token = sampler.next(logits, { generatedIds: [] });
 * ```
 * @throws {InvalidArgumentError} for out-of-range options
 */
export function createSampler(options: SamplingOptions = {}): Sampler {
  const {
    doSample = false,
    temperature: temperatureValue = 1,
    topK: topKValue = 50,
    topP: topPValue = 1,
    minP: minPValue = 0,
    repetitionPenalty: repetitionValue = 1,
    penalizePrompt = false,
    presencePenalty = 0,
    frequencyPenalty = 0,
    seed = 0,
  } = options;
  checkRange('temperature', temperatureValue, { min: 0, max: Number.POSITIVE_INFINITY });
  checkRange('seed', seed, { min: 0, max: 2 ** 32 - 1, integer: true });
  const sampling = doSample && temperatureValue > 0;

  const processors: LogitsProcessor[] = [];
  if (repetitionValue !== 1 || penalizePrompt)
    processors.push(repetitionPenalty(repetitionValue, { includePrompt: penalizePrompt }));
  if (presencePenalty !== 0 || frequencyPenalty !== 0)
    processors.push(presenceFrequencyPenalty(presencePenalty, frequencyPenalty));
  if (options.logitBias) processors.push(logitBias(options.logitBias));
  if (options.bannedTokenIds?.length) processors.push(banTokens(options.bannedTokenIds));
  // Warpers are validated even when greedy, so a bad option fails early either way.
  const warpers = [topK(topKValue), topP(topPValue), minP(minPValue)];
  if (sampling) {
    if (temperatureValue !== 1) processors.push(temperature(temperatureValue));
    if (topKValue !== 0) processors.push(warpers[0]!);
    if (topPValue < 1) processors.push(warpers[1]!);
    if (minPValue > 0) processors.push(warpers[2]!);
  }
  const rng = options.rng ?? createRng(seed);

  return {
    sampling,
    processors,
    next(logits, context) {
      checkLogits(logits);
      if (context.allowedTokens) applyTokenBitmask(logits, context.allowedTokens);
      for (const processor of processors) processor(logits, context);
      return sampling ? sampleToken(logits, rng) : greedyToken(logits);
    },
  };
}
