export { canInfer, canInferOption, canInferText, extractBoxedContent } from './can-infer.js';
export type { McqQuestion } from './mcq-prompt.js';
export {
  buildMcqCotPrompt,
  buildMultipleChoicePrompt,
  MCQ_COT_PROMPT,
  MCQ_DIRECT_INSTRUCTION,
  reorganizePrompt,
  tilesPerImage,
} from './mcq-prompt.js';
export type { EvalSummary } from './report.js';
export { formatReport, renderChart, summarize } from './report.js';
export type { EvalMode, EvalRecord, EvalSettings } from './run-evaluation.js';
export { checkEvalSettings, evaluateItem, evaluationPrompt } from './run-evaluation.js';
export type { EvalItem } from './vlmevalkit-tsv.js';
export { readVlmEvalTsv } from './vlmevalkit-tsv.js';
