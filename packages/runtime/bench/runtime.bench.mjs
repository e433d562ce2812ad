// pnpm bench: the InternVL2.5-1B shape (synthetic weights; IVL_BENCH_PRESET=internvl3_5-1b for
// InternVL3.5-1B's Qwen3) on onnxruntime-node CPU, 2 threads.
// Prints each figure beside its physical bound on this machine and the ratio (DESIGN.md §5):
//   vision encoder ms/tile    vs FLOPs / measured fp32 MatMul GFLOP/s
//   prefill tokens/s          vs FLOPs / measured fp32 MatMul GFLOP/s
//   decode tokens/s           vs decoder weight bytes read per token / measured memory bandwidth
//   peak RSS                  vs weight bytes
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { createNodeBackend } from '@ivl/backend-node';
import { createTensor, partSource } from '@ivl/core';
import { benchModel } from '@ivl/test-models';
import { memoryBandwidth } from '@ivl/test-models/memory-bandwidth';
import { createRuntime } from '../dist/node/index.js';

const THREADS = Number(process.env.IVL_BENCH_THREADS ?? 2);
// IVL_BENCH_DTYPE=fp32 (default), fp16, q8 or q4.
const DTYPE = process.env.IVL_BENCH_DTYPE ?? 'fp32';
const PRESET = process.env.IVL_BENCH_PRESET ?? 'internvl2_5-1b';
const { model: modelDir } = await benchModel(DTYPE, { preset: PRESET });
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

// Bounds measured here, back to back with the figures (the machine's bandwidth drifts ±25 %).
async function matmulGflops(backend) {
  const require = createRequire(new URL('../../convert/package.json', import.meta.url));
  const { onnx } = require('onnx-proto');
  const n = 1024;
  const info = (name) => ({
    name,
    type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: n }, { dimValue: n }] } } },
  });
  const bytes = onnx.ModelProto.encode(
    onnx.ModelProto.create({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 17 }],
      graph: {
        name: 'mm',
        node: [{ opType: 'MatMul', input: ['a', 'b'], output: ['y'] }],
        input: [info('a'), info('b')],
        output: [info('y')],
      },
    }),
  ).finish();
  const session = await backend.createSession(bytes);
  const a = createTensor(
    'float32',
    [n, n],
    Float32Array.from({ length: n * n }, (_, i) => (i % 7) * 0.1),
  );
  await session.run({ a, b: a });
  const times = [];
  for (let r = 0; r < 5; r++) {
    const t = performance.now();
    await session.run({ a, b: a });
    times.push(performance.now() - t);
  }
  await session.dispose();
  return (2 * n ** 3) / (median(times) / 1000) / 1e9;
}

// ORT prepacks MatMul weights into a second, faster layout (the default). IVL_BENCH_NO_PREPACK=1
// measures without it: about half the peak memory, but here prefill at half speed and decode -20 %.
const backend = createNodeBackend({
  device: 'cpu',
  threads: THREADS,
  sessionOptions: process.env.IVL_BENCH_NO_PREPACK ? { extra: { session: { disable_prepacking: '1' } } } : {},
});
await backend.init();
const gflops = await matmulGflops(backend);
const bandwidth = await memoryBandwidth(THREADS);
const manifest = JSON.parse(readFileSync(join(modelDir, 'ivl.json'), 'utf8'));
const m = manifest.dims;
const config = JSON.parse(readFileSync(join(modelDir, 'config.json'), 'utf8'));
const intermediate = (config.llm_config ?? config.text_config).intermediate_size;
console.log(`model: ${PRESET} shape (${manifest.family} LLM), weights: ${DTYPE}`);
console.log(
  `machine: fp32 MatMul ${gflops.toFixed(1)} GFLOP/s (${THREADS} threads), memory ${(bandwidth / 1e9).toFixed(1)} GB/s (${THREADS} threads)`,
);

// Vision encoder: one 448 tile, on a session of its own, released before the runtime loads (so
// the peak RSS below is the runtime's, not two copies of the vision weights).
const C = m.visionHidden;
const T = 1025;
const visionFlops = 2 * 24 * T * (12 * C * C + 2 * T * C) + 2 * 1024 * C * 588;
const session = await backend.createSession(
  partSource(manifest.files.vision_encoder[DTYPE], (file) => join(modelDir, file.path)),
);
const pixels = createTensor(
  'float32',
  [1, 3, 448, 448],
  Float32Array.from({ length: 3 * 448 * 448 }, (_, i) => Math.sin(i)),
);
await session.run({ pixel_values: pixels });
const visionTimes = [];
for (let r = 0; r < 3; r++) {
  const t = performance.now();
  await session.run({ pixel_values: pixels });
  visionTimes.push(performance.now() - t);
}
await session.dispose();
const visionMs = median(visionTimes);
const runtime = await createRuntime({ model: modelDir, backend, dtype: DTYPE });
const visionBound = (visionFlops / (gflops * 1e9)) * 1000;
console.log(
  `vision encoder: ${visionMs.toFixed(0)} ms per 448 tile; ${visionBound.toFixed(0)} ms for its ${(visionFlops / 1e9).toFixed(0)} GFLOP at the 1024³ MatMul rate, ratio ${(visionMs / visionBound).toFixed(2)}× (the big MatMuls run faster than the probe)`,
);

// Prefill and decode through the runtime (greedy, text only).
const question =
  'Describe in detail the history of the bicycle, its inventors, and how it changed cities. '.repeat(3);
const result = await runtime
  .chat([{ role: 'user', content: question }], {
    maxNewTokens: 32,
    bannedTokenIds: [runtime.manifest.tokens.imEnd],
  })
  .result();
const prefillTokens = result.usage.promptTokens;
const prefillSeconds = result.timings.prefillMs / 1000;
const llmParams =
  m.layers *
  (m.llmHidden * (m.heads + 2 * m.kvHeads) * m.headDim +
    m.heads * m.headDim * m.llmHidden +
    3 * m.llmHidden * intermediate);
const prefillFlops = 2 * prefillTokens * (llmParams + (m.llmHidden * m.vocabSize) / prefillTokens);
const prefillBound = prefillFlops / (gflops * 1e9);
console.log(
  `prefill: ${(prefillTokens / prefillSeconds).toFixed(0)} tokens/s (${prefillTokens} tokens in ${prefillSeconds.toFixed(2)} s); bound ${(prefillTokens / prefillBound).toFixed(0)} tokens/s, ratio ${(prefillSeconds / prefillBound).toFixed(2)}×`,
);

const decoderBytes = readdirSync(join(modelDir, 'onnx'))
  .filter((f) => f.startsWith('decoder_model_merged'))
  .reduce((sum, f) => sum + statSync(join(modelDir, 'onnx', f)).size, 0);
const decodeRate = result.timings.decodeTokensPerSecond;
const decodeBound = bandwidth / decoderBytes;
console.log(
  `decode: ${decodeRate.toFixed(1)} tokens/s over ${result.usage.generatedTokens} tokens; bound ${decodeBound.toFixed(1)} tokens/s (${(decoderBytes / 1e9).toFixed(2)} GB of weights per token at ${(bandwidth / 1e9).toFixed(1)} GB/s), ratio ${(decodeBound / decodeRate).toFixed(2)}×`,
);

const weightBytes = readdirSync(join(modelDir, 'onnx')).reduce(
  (sum, f) => sum + statSync(join(modelDir, 'onnx', f)).size,
  0,
);
const peak = process.resourceUsage().maxRSS * 1024;
console.log(
  `peak RSS: ${(peak / 1e9).toFixed(2)} GB for ${(weightBytes / 1e9).toFixed(2)} GB of ${DTYPE} weights (${(peak / weightBytes).toFixed(2)}×; target ≤ 1.3×)`,
);
// Constrained decoding: the per-token cost of the grammar mask (XGrammar over the 151,674-token
// vocabulary) against a decode step of this model, measured after the first call built the
// vocabulary and compiled the schema.
const responseFormat = {
  type: 'json_schema',
  json_schema: {
    name: 'bike',
    schema: {
      type: 'object',
      properties: {
        inventor: { type: 'string', maxLength: 40 },
        year: { type: 'integer', minimum: 1800, maximum: 2000 },
        kinds: { type: 'array', items: { enum: ['road', 'mountain', 'city'] }, maxItems: 3 },
      },
      required: ['inventor', 'year', 'kinds'],
    },
  },
};
const warmStarted = performance.now();
await runtime.chat([{ role: 'user', content: 'Hi' }], { responseFormat, maxNewTokens: 1 }).result();
const constrained = await runtime
  .chat([{ role: 'user', content: question }], {
    responseFormat,
    maxNewTokens: 48,
    doSample: true,
    temperature: 1,
    topK: 0,
    seed: 1,
  })
  .result();
const maskMs = constrained.timings.constraintMs / constrained.usage.generatedTokens;
const stepMs = 1000 / decodeRate;
console.log(
  `grammar mask: ${maskMs.toFixed(2)} ms per token over ${constrained.usage.generatedTokens} constrained tokens vs a decode step of ${stepMs.toFixed(1)} ms: ${((100 * maskMs) / stepMs).toFixed(1)} % of a step (target < 10 %); first constrained call (vocabulary + compile) ${(performance.now() - warmStarted - constrained.timings.decodeMs - constrained.timings.prefillMs).toFixed(0)} ms`,
);
await runtime.dispose();
