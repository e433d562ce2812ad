import { fileURLToPath } from 'node:url';
import { BackendUnavailableError } from '@ivl/core';
import { describeBackendConformance } from '@ivl/core/test';
import { describe, expect, it } from 'vitest';
import { createWebBackend } from './web-backend.js';

const fixture = (name: string) =>
  fileURLToPath(new URL(`../../../tooling/fixtures/onnx/${name}`, import.meta.url));
const fixtures = {
  add: fixture('add.onnx'),
  gather: fixture('gather.onnx'),
  external: {
    model: fixture('external.onnx'),
    externalData: [{ path: 'external.onnx_data', data: fixture('external.onnx_data') }],
  },
  castHalf: fixture('cast-half.onnx'),
  missing: fixture('missing.onnx'),
};

describeBackendConformance('ort-web wasm (in Node)', () => createWebBackend({ device: 'wasm' }), fixtures);

describe('createWebBackend device selection in Node', () => {
  it('should say WebGPU is unavailable and fall back to wasm', async () => {
    const error = await createWebBackend({ device: 'webgpu' })
      .init()
      .catch((e: unknown) => e);
    expect(BackendUnavailableError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(
      /Device "webgpu" of onnxruntime-web is unavailable: navigator\.gpu is undefined\. Use a WebGPU-capable browser/,
    );
    const backend = createWebBackend({ device: ['webgpu', 'wasm'] });
    await backend.init();
    expect(backend.capabilities).toMatchObject({ device: 'wasm', deviceResidentOutputs: false });
  });
});
