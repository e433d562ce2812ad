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
