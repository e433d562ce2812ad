export type {
  BackendCapabilities,
  BackendSession,
  DeviceTensor,
  InferenceBackend,
  ModelSource,
  RunOptions,
  SessionOptions,
  TensorMap,
} from './backend/inference-backend.js';
export { probeModelBytes } from './backend/probe-model.js';
export { checkRun, toRunError } from './backend/run-checks.js';
export * from './errors/index.js';
export type {
  LlmFamily,
  ModelDtype,
  ModelFile,
  ModelManifest,
  ModelPart,
  ModelPartFiles,
  VisionVariant,
} from './manifest/model-manifest.js';
export {
  LLM_FAMILIES,
  MODEL_DTYPES,
  MODEL_FORMAT_VERSION,
  partBytes,
  partSource,
  usesSentencePiece,
} from './manifest/model-manifest.js';
export { float16BitsToFloat32, float32ArrayToFloat16, float32ToFloat16Bits } from './tensor/float16.js';
export type { Tensor, TensorDataMap, TensorDataType } from './tensor/tensor.js';
export { createTensor, isTensorDataType, tensorSize } from './tensor/tensor.js';
export { VERSION } from './version.js';
