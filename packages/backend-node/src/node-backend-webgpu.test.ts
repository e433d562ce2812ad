import { createTensor, type DeviceTensor, InvalidArgumentError, type Tensor } from '@ivl/core';
import { describeBackendConformance } from '@ivl/core/test';
import { useSoftwareWebGpu } from '@ivl/test-models/software-webgpu';
import { describe, expect, it } from 'vitest';
import { createNodeBackend } from './node-backend.js';
import { fixtures } from './test-support/fixtures.js';

// The WebGPU device without a GPU: SwiftShader gives onnxruntime-node's Dawn an adapter on the
// CPU, so the device and its GPU-buffer outputs run here and in CI (a real adapter with IVL_GPU).
const adapter = useSoftwareWebGpu();
const f32 = (values: number[]) => createTensor('float32', [values.length], Float32Array.from(values));
const values = (tensor: Tensor | DeviceTensor) => Array.from((tensor as Tensor).data as Float32Array);

describe.runIf(adapter)(`ort-node webgpu (${adapter})`, () => {
  describeBackendConformance('ort-node webgpu', () => createNodeBackend({ device: 'webgpu' }), fixtures);

  it('should keep deviceOutputs in GPU buffers, take them back as inputs and download them', async () => {
    const backend = createNodeBackend({ device: 'webgpu' });
    try {
      await backend.init();
      expect(backend.capabilities.deviceResidentOutputs).toBe(true);
      const onDevice = await backend.createSession(fixtures.add, { deviceOutputs: ['y'] });
      const first = (await onDevice.run({ a: f32([1, 2, 3]), b: f32([10, 20, 30]) })).y!;
      expect('kind' in first && first.kind).toBe('device');
      expect(first).toMatchObject({ dtype: 'float32', dims: [3], location: 'gpu-buffer' });
      // A device output fed back stays on the device: into the same session and into a session
      // whose outputs come back to host memory.
      const second = (await onDevice.run({ a: first, b: f32([100, 200, 300]) })).y as DeviceTensor;
      const onHost = await backend.createSession(fixtures.add);
      const third = (await onHost.run({ a: second, b: f32([0.5, 0.5, 0.5]) })).y!;
      expect('kind' in third).toBe(false);
      expect(values(third)).toEqual([111.5, 222.5, 333.5]);
      expect(values(await second.download())).toEqual([111, 222, 333]);
      expect(values(await (first as DeviceTensor).download())).toEqual([11, 22, 33]);

      (first as DeviceTensor).dispose();
      (first as DeviceTensor).dispose(); // twice is harmless
      const downloaded = await (first as DeviceTensor).download().catch((e: unknown) => e);
      expect(InvalidArgumentError.isInstance(downloaded)).toBe(true);
      expect((downloaded as Error).message).toMatch(/was disposed/);
      const fed = await onDevice.run({ a: first, b: f32([1, 1, 1]) }).catch((e: unknown) => e);
      expect(InvalidArgumentError.isInstance(fed)).toBe(true);
      expect((fed as Error).message).toMatch(/Input "a" is a device tensor that was disposed/);
      second.dispose();
    } finally {
      await backend.dispose();
    }
  });

  it('should refuse a device tensor it did not make, saying what to do', async () => {
    const backend = createNodeBackend({ device: 'webgpu' });
    try {
      const session = await backend.createSession(fixtures.add);
      const foreign: DeviceTensor = {
        kind: 'device',
        dtype: 'float32',
        dims: [1],
        location: 'gpu-buffer',
        handle: {},
        download: async () => f32([1]),
        dispose() {},
      };
      const error = await session.run({ a: foreign, b: f32([1]) }).catch((e: unknown) => e);
      expect(InvalidArgumentError.isInstance(error)).toBe(true);
      expect((error as Error).message).toMatch(/another backend.*tensor\.download\(\)/);
    } finally {
      await backend.dispose();
    }
  });
});

describe('ort-node cpu device outputs', () => {
  it('should return host tensors on the CPU device, deviceOutputs or not', async () => {
    const backend = createNodeBackend({ device: 'cpu' });
    try {
      await backend.init();
      expect(backend.capabilities.deviceResidentOutputs).toBe(false);
      const session = await backend.createSession(fixtures.add, { deviceOutputs: ['y'] });
      const { y } = await session.run({ a: f32([1]), b: f32([2]) });
      expect('kind' in y!).toBe(false);
      expect(values(y!)).toEqual([3]);
    } finally {
      await backend.dispose();
    }
  });
});
