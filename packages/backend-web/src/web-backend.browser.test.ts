import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createNodeBackend } from '@ivl/backend-node';
import { findChromium, runInChromium } from '@ivl/browser-test';
import { createTensor, type Tensor } from '@ivl/core';
import { tinyModel } from '@ivl/test-models';
import { beforeAll, describe, expect, it } from 'vitest';

interface DeviceResult {
  error?: string;
  capabilities?: { device: string; deviceResidentOutputs: boolean; fp16: boolean };
  add?: number[];
  gather?: number[];
  external?: number[];
  castHalf?: number[] | string;
  projector?: { location: string; dims: number[]; data: number[] };
}

const fixture = (name: string) =>
  fileURLToPath(new URL(`../../../tooling/fixtures/onnx/${name}`, import.meta.url));
const ortDist = dirname(createRequire(import.meta.url).resolve('onnxruntime-web'));

describe.runIf(findChromium() !== undefined || process.env.CI)(
  '@ivl/backend-web in headless Chromium',
  () => {
    let results: Record<string, DeviceResult> & { crossOriginIsolated?: boolean; hasGpu?: boolean };
    let expectedProjector: Float32Array;
    beforeAll(async () => {
      const { model } = await tinyModel('tiny-qwen2');
      const files: Record<string, string> = {
        'projector.onnx': join(model, 'onnx/projector.onnx'),
        'projector.onnx_data': join(model, 'onnx/projector.onnx_data'),
      };
      for (const name of ['add.onnx', 'gather.onnx', 'external.onnx', 'external.onnx_data', 'cast-half.onnx'])
        files[name] = fixture(name);
      results = await runInChromium({
        entry: fileURLToPath(new URL('./web-backend.browser.ts', import.meta.url)),
        files,
        directories: { 'ort/': ortDist },
        webgpu: true,
        timeoutMs: 240_000,
      });
      const backend = createNodeBackend();
      const session = await backend.createSession(join(model, 'onnx/projector.onnx'));
      const features = Float32Array.from({ length: 1024 * 32 }, (_, i) => Math.sin(i * 0.37));
      expectedProjector = (
        (await session.run({ vision_features: createTensor('float32', [1, 1024, 32], features) }))
          .image_embeds as Tensor<'float32'>
      ).data;
      await backend.dispose();
    }, 300_000);

    const check = (result: DeviceResult, tolerance: number) => {
      expect(result.error).toBeUndefined();
      expect(result.add).toEqual([11, 22]);
      expect(result.gather).toEqual([30, 31, 10, 11]);
      expect(result.external).toEqual([9, 12]);
      if (result.capabilities!.fp16 || result.capabilities!.device === 'wasm')
        expect(result.castHalf).toEqual([1.5, -2]);
      else
        expect(result.castHalf).toMatch(
          /^InvalidArgumentError: Input "x" is float16 but this WebGPU adapter lacks the shader-f16 feature/,
        );
      expect(result.projector!.dims).toEqual([1, 256, 64]);
      let max = 0;
      result.projector!.data.forEach((value, i) => {
        max = Math.max(max, Math.abs(value - expectedProjector[i]!));
      });
      expect(max).toBeLessThanOrEqual(tolerance);
    };

    it('should run the conformance models and a converted projector on wasm, cross-origin isolated', () => {
      expect(results.crossOriginIsolated).toBe(true);
      check(results.wasm!, 1e-5);
      expect(results.wasm!.projector!.location).toBe('cpu');
    });

    it('should run them on WebGPU (SwiftShader adapter) with the output left in a GPU buffer', () => {
      const webgpu = results.webgpu!;
      if (webgpu.error && !results.hasGpu) {
        // Without any adapter the backend must say so plainly.
        expect(webgpu.error).toMatch(
          /^BackendUnavailableError: Device "webgpu" of onnxruntime-web is unavailable/,
        );
        return;
      }
      // GPU float arithmetic (other summation order, fused kernels) differs from the CPU by a little.
      check(webgpu, 1e-4);
      expect(webgpu.capabilities).toMatchObject({ device: 'webgpu', deviceResidentOutputs: true });
      expect(webgpu.projector!.location).toBe('gpu-buffer');
    });
  },
);
