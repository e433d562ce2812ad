export type { GgufDtype } from './checkpoint-to-gguf.js';
export { MATRIX_TYPE, writeLlmGguf } from './checkpoint-to-gguf.js';
export type { GgmlType } from './ggml-quantize.js';
export { dequantize, GGML_TYPE, quantizeQ4_0, quantizeQ8_0, rowBytes } from './ggml-quantize.js';
export type { GgufTensor, GgufValue } from './gguf-writer.js';
export { writeGguf } from './gguf-writer.js';
