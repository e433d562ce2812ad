import { defineTestConfig } from '@ivl/build-config/vitest';

export default defineTestConfig({ testTimeout: 120_000 });
