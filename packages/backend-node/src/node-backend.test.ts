import { readFileSync } from 'node:fs';
import { BackendUnavailableError, createTensor } from '@ivl/core';
import { describeBackendConformance } from '@ivl/core/test';
import { describe, expect, it } from 'vitest';
import { createNodeBackend } from './node-backend.js';
import { fixtures } from './test-support/fixtures.js';

describeBackendConformance('ort-node cpu', () => createNodeBackend({ device: 'cpu' }), fixtures);
// webgpu: node-backend-webgpu.test.ts (on SwiftShader without a GPU).
describe.runIf(process.env.IVL_GPU)('on a GPU machine', () => {
  describeBackendConformance('ort-node cuda', () => createNodeBackend({ device: 'cuda' }), fixtures);
});

describe('createNodeBackend device selection', () => {
  it.skipIf(process.env.IVL_GPU)('should say why CUDA is unavailable and what to install', async () => {
    const error = await createNodeBackend({ device: 'cuda' })
      .init()
      .catch((e: unknown) => e);
    expect(BackendUnavailableError.isInstance(error)).toBe(true);
    expect((error as BackendUnavailableError).device).toBe('cuda');
    expect((error as Error).message).toMatch(
      /Device "cuda" of onnxruntime-node is unavailable: .*Install the CUDA libraries/s,
    );
  });

  it.skipIf(process.env.IVL_GPU)(
    'should fall back in order and report every failure when none works',
    async () => {
      const backend = createNodeBackend({ device: ['cuda', 'webgpu', 'cpu'] });
      await backend.init();
      expect(backend.capabilities.device).toBe('cpu');
      const error = await createNodeBackend({ device: ['cuda', 'webgpu'] })
        .init()
        .catch((e: unknown) => e);
      expect(BackendUnavailableError.isInstance(error)).toBe(true);
      expect((error as Error).message).toMatch(
        /None of the devices \[cuda, webgpu\].*\n {2}- cuda: .*\n {2}- webgpu: .*WebGPU adapter/s,
      );
    },
  );

  it('should refuse an unknown device name', async () => {
    // @ts-expect-error: testing a runtime value outside the type
    const error = await createNodeBackend({ device: ['tpu'] })
      .init()
      .catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/tpu: unknown device\. Available: cpu, cuda, webgpu/);
  });
});

describe('createNodeBackend memory on CPU', () => {
  const residentMb = () =>
    Number(readFileSync('/proc/self/status', 'utf8').match(/VmRSS:\s+(\d+)/)![1]) / 1024;

  it.runIf(process.platform === 'linux')(
    "should not keep a second copy of a run's intermediates after the next run with the same shapes",
    async () => {
      // onnxruntime's memory pattern (on by default) plans one block for all of a run's
      // intermediates from the first run with these shapes and takes it on the next, while the
      // arena keeps what the first run used: 3 × 64 MB here, and 600 MB for 4 vision tiles.
      const backend = createNodeBackend({ device: 'cpu', threads: 2 });
      await backend.init();
      const session = await backend.createSession(fixtures.intermediates);
      const x = createTensor('float32', [16 * 2 ** 20]);
      await session.run({ x });
      const afterFirst = residentMb();
      for (let run = 0; run < 3; run++) await session.run({ x });
      expect(residentMb() - afterFirst).toBeLessThan(64);
      await session.dispose();
    },
  );

  it.runIf(process.platform === 'linux')(
    "should give a run's intermediates back after the run when the session asks to release them",
    async () => {
      // onnxruntime's arena keeps the largest run's intermediates for the session's life: 3 × 64 MB
      // here, ~160 MB for one vision tile, held while the decoder runs beside it.
      const backend = createNodeBackend({ device: 'cpu', threads: 2 });
      await backend.init();
      const session = await backend.createSession(fixtures.intermediates, { runMemory: 'release' });
      const x = createTensor('float32', [16 * 2 ** 20]);
      const before = residentMb();
      const { y } = await session.run({ x });
      expect(y!.dims).toEqual([]);
      expect(residentMb() - before).toBeLessThan(64);
      await session.dispose();
    },
  );
});
