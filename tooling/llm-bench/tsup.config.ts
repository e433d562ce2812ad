import { defineLibraryConfig } from '@ivl/build-config/tsup';

export default defineLibraryConfig({ entry: { index: 'src/index.ts' }, external: [/^@ivl\//] });
