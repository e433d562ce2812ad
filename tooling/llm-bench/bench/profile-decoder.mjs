// Where a decode step's time goes: onnxruntime's profiler over the decoder of one converted
// model (the bench's), a 103-token prefill then 32 decode steps; prints the top ops per token.
// IVL_PROFILE_PREFILL=N: N prefills of the prompt instead (after the first), the top ops per prefill.
//   [IVL_BENCH_PRESET=internvl3_5-1b] [IVL_PROFILE_NODES=8] node bench/profile-decoder.mjs [fp32|q8|q4|int8]
//   [IVL_PROFILE_MODEL=<converted model directory>]
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchModel } from '@ivl/test-models';

const dtype = process.argv[2] ?? 'fp32';
// IVL_BENCH_PRESET=internvl3_5-1b profiles InternVL3.5-1B's Qwen3 instead.
// IVL_PROFILE_MODEL=<dir>: a model converted otherwise (e.g. with other converter options).
const modelDir =
  process.env.IVL_PROFILE_MODEL ??
  (await benchModel(dtype, { preset: process.env.IVL_BENCH_PRESET ?? 'internvl2_5-1b' })).model;
const require = createRequire(import.meta.resolve('@ivl/backend-node'));
const ort = require('onnxruntime-node');
const manifest = JSON.parse(readFileSync(join(modelDir, 'ivl.json'), 'utf8'));
const { layers, kvHeads, headDim, llmHidden } = manifest.dims;
const decoderPath = join(modelDir, manifest.files.decoder_model_merged[dtype].onnx.path);
const session = await ort.InferenceSession.create(decoderPath, {
  intraOpNumThreads: 2,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
  enableProfiling: true,
  profileFilePrefix: join(tmpdir(), `ivl-profile-${dtype}`),
});
const embeds = (n) =>
  new ort.Tensor(
    'float32',
    Float32Array.from({ length: n * llmHidden }, (_, i) => Math.sin(i) * 0.02),
    [1, n, llmHidden],
  );
// IVL_PROFILE_PROMPT: prompt tokens before the steps (103). IVL_PROFILE_CAPACITY=1: the cache as
// the runtime keeps it for such models: a buffer of that many rows per layer as the past.
const promptLength = Number(process.env.IVL_PROFILE_PROMPT ?? 103);
const capacity = process.env.IVL_PROFILE_CAPACITY ? Number(process.env.IVL_PROFILE_CAPACITY) : 0;
const buffer = (rows) =>
  new ort.Tensor('float32', new Float32Array(kvHeads * rows * headDim), [1, kvHeads, rows, headDim]);
const names = Array.from({ length: layers }, (_, l) => [`${l}.key`, `${l}.value`]).flat();
const buffers = Object.fromEntries(names.map((n) => [n, buffer(capacity)]));
const emptyPast = () => Object.fromEntries(names.map((n) => [`past_key_values.${n}`, buffers[n]]));
let past = emptyPast();
let length = 0;
const step = async (n) => {
  const total = length + n;
  const feeds = {
    inputs_embeds: embeds(n),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(total).fill(1n), [1, total]),
    position_ids: new ort.Tensor(
      'int64',
      BigInt64Array.from({ length: n }, (_, t) => BigInt(length + t)),
      [1, n],
    ),
    num_logits_to_keep: new ort.Tensor('int64', BigInt64Array.of(1n), []),
    ...past,
  };
  // With a capacity buffer the runtime fetches only the logits and the new rows.
  const fetches = capacity ? ['logits', ...names.map((n) => `new_key_values.${n}`)] : undefined;
  const out = fetches ? await session.run(feeds, fetches) : await session.run(feeds);
  if (!capacity) past = Object.fromEntries(names.map((n) => [`past_key_values.${n}`, out[`present.${n}`]]));
  length = total;
};
await step(promptLength);
const prefills = Number(process.env.IVL_PROFILE_PREFILL ?? 0);
const steps = prefills || 32;
const started = performance.now();
for (let i = 0; i < steps; i++) {
  if (prefills) {
    length = 0;
    past = emptyPast();
  }
  await step(prefills ? promptLength : 1);
}
const wall = (performance.now() - started) / steps;
session.endProfiling();
// onnxruntime-node names the file <prefix>_<date>.json and does not return it.
const file = join(
  tmpdir(),
  readdirSync(tmpdir())
    .filter((name) => name.startsWith(`ivl-profile-${dtype}_`))
    .sort()
    .at(-1),
);
const events = JSON.parse(readFileSync(file, 'utf8'));
rmSync(file, { force: true });
// Only the timed runs: the events after the second model_run begins.
const runs = events.filter((e) => e.name === 'model_run');
const decodeStart = runs[1]?.ts ?? 0;
const byOp = new Map();
const byNode = new Map();
let kernel = 0;
for (const e of events) {
  if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time') || e.ts < decodeStart) continue;
  const node = e.name.slice(0, -'_kernel_time'.length);
  byNode.set(node, (byNode.get(node) ?? 0) + e.dur);
  const op = e.args.op_name;
  byOp.set(op, byOp.get(op) ?? { us: 0, count: 0 });
  byOp.get(op).us += e.dur;
  byOp.get(op).count++;
  kernel += e.dur;
}
const unit = prefills ? 'ms/prefill' : 'ms/token';
const runUs = runs.slice(1).reduce((sum, e) => sum + e.dur, 0) / steps;
console.log(
  `${dtype}: ${wall.toFixed(2)} ms per ${prefills ? `${promptLength}-token prefill` : 'decode step'} in JS (${(((prefills ? promptLength : 1) * 1000) / wall).toFixed(1)} tokens/s); model_run ${(runUs / 1000).toFixed(2)} ms; kernels ${(kernel / steps / 1000).toFixed(2)} ms`,
);
for (const [op, { us, count }] of [...byOp].sort((a, b) => b[1].us - a[1].us).slice(0, 15)) {
  console.log(
    `  ${op.padEnd(34)} ${(us / steps / 1000).toFixed(3).padStart(8)} ${unit}  ${(count / steps).toFixed(0).padStart(4)} nodes  ${((100 * us) / kernel).toFixed(1)} %`,
  );
}
// IVL_PROFILE_NODES=N: the N slowest nodes of a step, by name (e.g. the output head's MatMulNBits).
for (const [node, us] of [...byNode]
  .sort((a, b) => b[1] - a[1])
  .slice(0, Number(process.env.IVL_PROFILE_NODES ?? 0))) {
  console.log(`  node ${node.padEnd(50)} ${(us / steps / 1000).toFixed(3).padStart(8)} ${unit}`);
}
