export type { ReferenceConfig } from './config.js';
export { readReferenceConfig } from './config.js';
export { ReferenceDecoder } from './decoder.js';
export { loadCheckpointWeights } from './load-weights.js';
export { erf, gelu } from './math.js';
export type { Weights } from './vision.js';
export { pixelShuffleReference, projectorForward, visionForward } from './vision.js';
