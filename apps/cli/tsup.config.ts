import { defineLibraryConfig } from '@ivl/build-config/tsup';

export default defineLibraryConfig({
  entry: ['src/main.ts', 'src/cli-process.ts'],
  format: ['esm'],
  dts: false,
  external: [/^@ivl\//, 'sharp', 'onnxruntime-node'],
});
