import type { SamplingOptions } from './sampler.js';

/** The fields of a Hugging Face `generation_config.json` that affect token choice and stopping. */
export interface GenerationConfigJson {
  readonly do_sample?: boolean;
  readonly temperature?: number;
  readonly top_k?: number;
  readonly top_p?: number;
  readonly min_p?: number | null;
  readonly repetition_penalty?: number;
  readonly max_new_tokens?: number;
  readonly eos_token_id?: number | number[];
  readonly [key: string]: unknown;
}

/** Sampling options and stop settings read from a generation config. */
export interface GenerationDefaults {
  readonly sampling: SamplingOptions;
  readonly maxNewTokens?: number;
  readonly eosTokenIds: readonly number[];
}

/**
 * Reads `generation_config.json` with HF's meanings: unset fields keep HF's defaults
 * (`do_sample` false, temperature 1, top-k 50, top-p 1, repetition penalty 1), and
 * `do_sample: false` means greedy whatever the temperature. Explicit `overrides` win.
 *
 * @example
 * ```ts
 * const { sampling } = fromGenerationConfig(JSON.parse(text), { temperature: 0.7 });
 * ```
 */
export function fromGenerationConfig(
  config: GenerationConfigJson,
  overrides: SamplingOptions = {},
): GenerationDefaults {
  const sampling: SamplingOptions = {
    ...(config.do_sample !== undefined && { doSample: config.do_sample }),
    ...(config.temperature !== undefined && { temperature: config.temperature }),
    ...(config.top_k !== undefined && { topK: config.top_k }),
    ...(config.top_p !== undefined && { topP: config.top_p }),
    ...(config.min_p != null && { minP: config.min_p }),
    ...(config.repetition_penalty !== undefined && { repetitionPenalty: config.repetition_penalty }),
    ...overrides,
  };
  const eos = config.eos_token_id;
  return {
    sampling,
    ...(config.max_new_tokens !== undefined && { maxNewTokens: config.max_new_tokens }),
    eosTokenIds: eos === undefined ? [] : Array.isArray(eos) ? eos : [eos],
  };
}
