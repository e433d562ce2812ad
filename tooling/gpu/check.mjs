// One-shot GPU evidence for issue 4: the backend conformance checks of @ivl/core/test, written out
// without vitest, on onnxruntime-node's cpu, webgpu and cuda devices.
import { createNodeBackend } from '@ivl/backend-node';
import { createTensor, float32ArrayToFloat16, IvlError } from '@ivl/core';

const fixture = (name) => new URL(`./fixtures/${name}`, import.meta.url).pathname;
const equal = (a, b) => JSON.stringify(Array.from(a)) === JSON.stringify(b);

async function conformance(device) {
  const started = performance.now();
  const backend = createNodeBackend({ device });
  const result = { device };
  try {
    await backend.init();
    result.capabilities = backend.capabilities;
    const checks = {};
    const add = await backend.createSession(fixture('add.onnx'));
    for (const n of [1, 5]) {
      const { y } = await add.run({
        a: createTensor(
          'float32',
          [n],
          Float32Array.from({ length: n }, (_, i) => i + 0.5),
        ),
        b: createTensor(
          'float32',
          [n],
          Float32Array.from({ length: n }, (_, i) => 10 * i),
        ),
      });
      checks[`add[${n}]`] = equal(
        y.data,
        Array.from({ length: n }, (_, i) => 11 * i + 0.5),
      );
    }
    const gather = await backend.createSession(fixture('gather.onnx'));
    checks.gather = equal(
      (await gather.run({ ids: createTensor('int64', [1, 3], BigInt64Array.from([3n, 0n, 2n])) })).y.data,
      [30, 31, 0, 1, 20, 21],
    );
    const external = await backend.createSession(fixture('external.onnx'));
    checks.external = equal(
      (await external.run({ x: createTensor('float32', [1, 3], Float32Array.from([1, 1, 1])) })).y.data,
      [9, 12],
    );
    const cast = await backend.createSession(fixture('cast-half.onnx'));
    checks.castHalf = equal(
      (
        await cast.run({
          x: createTensor('float16', [3], float32ArrayToFloat16(Float32Array.from([1.5, -2, 65504]))),
        })
      ).y.data,
      [1.5, -2, 65504],
    );
    const missing = await backend.createSession(fixture('missing.onnx')).catch((e) => e);
    checks.missingModelTyped = IvlError.isInstance(missing) && missing.name === 'ModelLoadError';
    const badFeed = await add
      .run({ a: createTensor('int32', [1]), b: createTensor('int32', [1]) })
      .catch((e) => e);
    checks.badFeedTyped = IvlError.isInstance(badFeed);
    const big = 1 << 22;
    const t = performance.now();
    for (let i = 0; i < 5; i++)
      await add.run({ a: createTensor('float32', [big]), b: createTensor('float32', [big]) });
    result.add4M_ms = ((performance.now() - t) / 5).toFixed(2);
    result.checks = checks;
    result.passed = Object.values(checks).every(Boolean);
  } catch (error) {
    result.error = `${error.name}: ${error.message}`;
  } finally {
    await backend.dispose();
  }
  result.ms = Math.round(performance.now() - started);
  return result;
}

for (const device of ['cpu', 'webgpu', 'cuda']) console.log(JSON.stringify(await conformance(device)));
const fallback = createNodeBackend({ device: ['cuda', 'webgpu', 'cpu'] });
await fallback.init();
console.log(JSON.stringify({ fallbackChose: fallback.capabilities.device }));
