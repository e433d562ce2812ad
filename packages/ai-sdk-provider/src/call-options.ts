import type { LanguageModelV4CallOptions, SharedV4Warning } from '@ai-sdk/provider';
import type { ChatOptions } from '@ivl/runtime';

/** ivl's own settings of a call: `providerOptions: { ivl: { … } }`. */
export interface IvlProviderOptions {
  /** Tile budget shared by the images. @default 12 */
  readonly maxTiles?: number;
  /** Frames sampled from each video. @default 8 */
  readonly videoFrames?: number;
  /** Sample this many answers from one prefill and majority-vote them (test-time scaling). */
  readonly votes?: number;
  /**
   * `cot` appends the paper's chain-of-thought prompt; `think` is InternVL3.5's thinking mode (also
   * chosen by the AI SDK's `reasoning` effort, any level but `none`), whose think section comes back
   * as reasoning parts.
   */
  readonly reasoning?: 'cot' | 'think';
  /** HF repetition penalty (> 0, 1 = off). */
  readonly repetitionPenalty?: number;
  /**
   * ivl's other constraints (`{ type: 'regex', pattern }`, `{ type: 'choice', choices }`,
   * `{ type: 'grammar', ebnf }`), for what the AI SDK's JSON `responseFormat` does not say.
   */
  readonly responseFormat?: ChatOptions['responseFormat'];
}

function ivlOptions(options: LanguageModelV4CallOptions): IvlProviderOptions {
  const own = options.providerOptions?.ivl;
  return typeof own === 'object' && own !== null ? (own as IvlProviderOptions) : {};
}

/** The runtime's options for an AI SDK call, and warnings for the settings it cannot honour. */
export function chatOptionsOf(options: LanguageModelV4CallOptions): {
  readonly chat: ChatOptions;
  readonly warnings: SharedV4Warning[];
  readonly videoFrames?: number;
} {
  const own = ivlOptions(options);
  const warnings: SharedV4Warning[] = [];
  if (options.tools?.length) {
    warnings.push({
      type: 'unsupported',
      feature: 'tools',
      details: 'InternVL 2.5 has no tool calling; the tools were ignored.',
    });
  }
  const format = options.responseFormat;
  const chat: ChatOptions = {
    ...(options.maxOutputTokens !== undefined && { maxNewTokens: options.maxOutputTokens }),
    ...(options.temperature !== undefined && {
      temperature: options.temperature,
      doSample: options.temperature > 0,
    }),
    ...(options.topP !== undefined && { topP: options.topP }),
    ...(options.topK !== undefined && { topK: options.topK }),
    ...(options.presencePenalty !== undefined && { presencePenalty: options.presencePenalty }),
    ...(options.frequencyPenalty !== undefined && { frequencyPenalty: options.frequencyPenalty }),
    ...(options.seed !== undefined && { seed: options.seed }),
    ...(options.stopSequences?.length && { stopStrings: options.stopSequences }),
    ...(format?.type === 'json' && {
      // Constrained decoding: the answer always parses (and follows the schema when one is given).
      responseFormat: format.schema
        ? {
            type: 'json_schema' as const,
            json_schema: {
              name: format.name ?? 'response',
              schema: format.schema as Record<string, unknown>,
            },
          }
        : { type: 'json_object' as const },
    }),
    ...(own.responseFormat && { responseFormat: own.responseFormat }),
    ...(own.maxTiles !== undefined && { maxTiles: own.maxTiles }),
    ...(own.videoFrames !== undefined && { videoFrames: own.videoFrames }),
    ...(own.votes !== undefined && { votes: own.votes }),
    ...(own.reasoning
      ? { reasoning: own.reasoning }
      : // The model either thinks or not: every effort level turns thinking mode on.
        options.reasoning !== undefined &&
        options.reasoning !== 'none' &&
        options.reasoning !== 'provider-default' && { reasoning: 'think' as const }),
    ...(own.repetitionPenalty !== undefined && { repetitionPenalty: own.repetitionPenalty }),
    ...(options.abortSignal && { signal: options.abortSignal }),
  };
  return { chat, warnings, ...(own.videoFrames !== undefined && { videoFrames: own.videoFrames }) };
}
