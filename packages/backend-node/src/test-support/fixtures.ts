import { fileURLToPath } from 'node:url';

const fixture = (name: string) =>
  fileURLToPath(new URL(`../../../../tooling/fixtures/onnx/${name}`, import.meta.url));

/** The conformance suite's ONNX fixtures (tooling/fixtures/onnx), as paths. */
export const fixtures = {
  add: fixture('add.onnx'),
  gather: fixture('gather.onnx'),
  external: {
    model: fixture('external.onnx'),
    externalData: [{ path: 'external.onnx_data', data: fixture('external.onnx_data') }],
  },
  castHalf: fixture('cast-half.onnx'),
  missing: fixture('missing.onnx'),
  /** y = Σ (x² + x) · x²: three float32 intermediates the size of x. */
  intermediates: fixture('intermediates.onnx'),
};
