import { defineLibraryConfig } from '@ivl/build-config/tsup';

export default defineLibraryConfig({
  entry: ['src/index.ts'],
  external: ['onnxruntime-web', 'onnxruntime-web/webgpu', '@ivl/core'],
});
