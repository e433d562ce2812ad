export * from '../index.js';
export type { EvalProgress, EvalRunMeta } from './results-file.js';
export { readResults, runEvaluationFile } from './results-file.js';
