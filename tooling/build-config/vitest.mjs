import { defineConfig } from 'vitest/config';

/**
 * Shared vitest settings: tests sit next to the code; timeouts are generous because
 * tests run real decoders, real sessions and real processes on a 2-core machine.
 * Each run also writes `.cache/vitest-report.json`, which `pnpm test` sums into one closing line.
 * @param {{ testTimeout?: number, include?: string[] }} [overrides]
 */
export function defineTestConfig(overrides = {}) {
  return defineConfig({
    define: { __PACKAGE_VERSION__: JSON.stringify('0.0.0-test') },
    test: {
      include: overrides.include ?? ['src/**/*.test.ts'],
      testTimeout: overrides.testTimeout ?? 60_000,
      hookTimeout: 180_000,
      pool: 'forks',
      reporters: ['default', 'json'],
      outputFile: { json: '.cache/vitest-report.json' },
    },
  });
}
