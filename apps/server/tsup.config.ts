import { defineLibraryConfig } from '@ivl/build-config/tsup';

export default defineLibraryConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  external: [/^@ivl\//, 'fastify', 'pino', 'prom-client'],
});
