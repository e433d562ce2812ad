import { defineLibraryConfig } from '@ivl/build-config/tsup';

export default defineLibraryConfig({
  entry: { index: 'src/index.ts', 'test/index': 'src/test/index.ts' },
  external: ['vitest'],
});
