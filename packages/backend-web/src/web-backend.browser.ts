// Runs inside headless Chromium (bundled by @ivl/browser-test); see web-backend.browser.test.ts.
import { createTensor, float32ArrayToFloat16, type Tensor } from '@ivl/core';
import { createWebBackend, type WebDevice } from './index.js';

export default async function run(base: string) {
  const results: Record<string, unknown> = {
    crossOriginIsolated: globalThis.crossOriginIsolated,
    hasGpu: 'gpu' in navigator,
  };
  const features = Float32Array.from({ length: 1024 * 32 }, (_, i) => Math.sin(i * 0.37));
  for (const device of ['wasm', 'webgpu'] as WebDevice[]) {
    const backend = createWebBackend({ device, wasmPaths: `${location.origin}/ort/` });
    try {
      await backend.init();
      const add = await backend.createSession(`${base}add.onnx`);
      const sum = (
        await add.run({
          a: createTensor('float32', [2], Float32Array.from([1, 2])),
          b: createTensor('float32', [2], Float32Array.from([10, 20])),
        })
      ).y as Tensor;
      const gather = await backend.createSession(`${base}gather.onnx`);
      const gathered = (
        await gather.run({ ids: createTensor('int64', [1, 2], BigInt64Array.from([3n, 1n])) })
      ).y as Tensor;
      const external = await backend.createSession({
        model: `${base}external.onnx`,
        externalData: [{ path: 'external.onnx_data', data: `${base}external.onnx_data` }],
      });
      const product = (
        await external.run({ x: createTensor('float32', [1, 3], Float32Array.from([1, 1, 1])) })
      ).y as Tensor;
      const cast = await backend.createSession(`${base}cast-half.onnx`);
      const castHalf = await cast
        .run({ x: createTensor('float16', [2], float32ArrayToFloat16(Float32Array.from([1.5, -2]))) })
        .then(
          (outputs) => Array.from((outputs.y as Tensor<'float32'>).data),
          (error: Error) => `${error.name}: ${error.message}`,
        );
      // A tiny converted projector, with its output left on the device where the backend can.
      const projector = await backend.createSession(
        {
          model: `${base}projector.onnx`,
          externalData: [{ path: 'projector.onnx_data', data: `${base}projector.onnx_data` }],
        },
        { deviceOutputs: ['image_embeds'] },
      );
      const out = (await projector.run({ vision_features: createTensor('float32', [1, 1024, 32], features) }))
        .image_embeds!;
      const location = 'kind' in out ? out.location : 'cpu';
      const host = 'kind' in out ? await out.download() : out;
      if ('kind' in out) out.dispose();
      results[device] = {
        capabilities: backend.capabilities,
        add: Array.from(sum.data as Float32Array),
        gather: Array.from(gathered.data as Float32Array),
        external: Array.from(product.data as Float32Array),
        castHalf,
        projector: { location, dims: host.dims, data: Array.from(host.data as Float32Array) },
      };
    } catch (error) {
      results[device] = { error: `${(error as Error).name}: ${(error as Error).message}` };
    } finally {
      await backend.dispose();
    }
  }
  return results;
}
