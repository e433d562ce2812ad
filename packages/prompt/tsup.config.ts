import { defineLibraryConfig } from '@ivl/build-config/tsup';

export default defineLibraryConfig({
  entry: { index: 'src/index.ts', 'node/index': 'src/node/index.ts' },
  external: ['@huggingface/tokenizers'],
});
