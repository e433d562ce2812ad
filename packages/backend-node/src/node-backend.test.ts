import { BackendUnavailableError } from '@ivl/core';
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
