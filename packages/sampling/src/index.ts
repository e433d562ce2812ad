export type { AnswerKind, VoteCount, VoteResult } from './answer-voting.js';
export { extractAnswer, majorityVote, normalizeAnswer } from './answer-voting.js';
export type { GenerationConfigJson, GenerationDefaults } from './generation-config.js';
export { fromGenerationConfig } from './generation-config.js';
export type {
  CompiledConstraint,
  ConstraintState,
  GrammarEngine,
  GrammarVocabulary,
  ResponseFormat,
} from './grammar/grammar-constraint.js';
export { createGrammarEngine } from './grammar/grammar-constraint.js';
export { vocabularyFromTokenizerJson } from './grammar/grammar-vocabulary.js';
export type { LogitsContext, LogitsProcessor } from './logits-processors.js';
export {
  applyTokenBitmask,
  banTokens,
  logitBias,
  minP,
  presenceFrequencyPenalty,
  repetitionPenalty,
  temperature,
  topK,
  topP,
} from './logits-processors.js';
export type { Rng } from './rng.js';
export { createRng } from './rng.js';
export type { Sampler, SamplingOptions } from './sampler.js';
export { createSampler } from './sampler.js';
export { greedyToken, sampleToken } from './select-token.js';
export { softmax } from './softmax.js';
export type { StopChecker, StopOptions, StopReason, StopStep } from './stop-checker.js';
export { createStopChecker } from './stop-checker.js';
