import { defineLibraryConfig } from '@ivl/build-config/tsup';

export default defineLibraryConfig({
  entry: { index: 'src/index.ts', 'node/index': 'src/node/index.ts', 'web/index': 'src/web/index.ts' },
  external: [/^@ivl\//, 'sharp', 'mediabunny'],
});
