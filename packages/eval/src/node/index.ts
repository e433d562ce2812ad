export * from '../index.js';
export { EVAL_QUEUE, redisConnection, runEvaluationOnQueue, startEvalWorker } from './eval-queue.js';
export type { EvalFileOptions, EvalProgress, EvalRunMeta } from './results-file.js';
export { readResults, runEvaluationFile } from './results-file.js';
