import { defineLibraryConfig } from '@ivl/build-config/tsup';

export default defineLibraryConfig({ entry: ['src/index.ts'] });
