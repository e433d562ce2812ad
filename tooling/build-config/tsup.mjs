import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineConfig } from 'tsup';

/**
 * The one tsup setup every library package shares: ESM + CJS with separate
 * `.d.ts`/`.d.cts`, the package version injected as `__PACKAGE_VERSION__`.
 * @param {{ entry: string[] } & import('tsup').Options} options
 */
export function defineLibraryConfig(options) {
  const { version } = JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8'));
  return defineConfig({
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    treeshake: true,
    target: 'es2022',
    define: { __PACKAGE_VERSION__: JSON.stringify(version) },
    ...options,
  });
}
