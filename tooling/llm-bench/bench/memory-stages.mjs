// Where the memory of a loaded model goes, stage by stage (Linux): resident anonymous memory (the
// runtime's own: prepacked weights, caches, activations, the JS heap) and file pages (mapped
// weights such as the embedding table), after loadModel, one tile through the vision encoder, prefills of 103 and 1,829 tokens and
// decode steps; then the largest mappings at the end.
//   [IVL_BENCH_PRESET=internvl3_5-1b] node bench/memory-stages.mjs [fp32|q8|q4|int8]
import { readFileSync } from 'node:fs';
import { createNodeBackend } from '@ivl/backend-node';
import { createTensor } from '@ivl/core';
import { loadModel, modelStoreFromDirectory } from '@ivl/runtime/node';
import { benchModel } from '@ivl/test-models';
import { promptIds } from './bench-run.mjs';

const dtype = process.argv[2] ?? 'q4';
const { model: modelDir } = await benchModel(dtype, {
  preset: process.env.IVL_BENCH_PRESET ?? 'internvl2_5-1b',
});
const mb = (kb) => `${(kb / 1024).toFixed(0)} MB`.padStart(8);
const stage = (name) => {
  const status = readFileSync('/proc/self/status', 'utf8');
  const kb = (key) => Number(status.match(new RegExp(`${key}:\\s+(\\d+)`))[1]);
  console.log(
    `${name.padEnd(32)} resident ${mb(kb('VmRSS'))}  anonymous ${mb(kb('RssAnon'))}  file ${mb(kb('RssFile'))}  peak ${mb(kb('VmHWM'))}  JS heap ${mb(process.memoryUsage().heapUsed / 1024)}`,
  );
};
stage('start');
const backend = createNodeBackend({ device: 'cpu', threads: 2 });
await backend.init();
stage('backend');
const loaded = await loadModel(modelStoreFromDirectory(modelDir), backend, { dtype });
stage(`loadModel (${dtype})`);
// Tiles through the vision encoder and projector, as an image chat runs them first: one tile (the
// runtime's runs on CPU), then a run of 4 (its micro-batch on GPUs, or microBatchSize: 4).
const tiles = (n) =>
  createTensor(
    'float32',
    [n, 3, 448, 448],
    Float32Array.from({ length: n * 3 * 448 * 448 }, (_, i) => Math.sin(i)),
  );
for (const n of [1, 4]) {
  const { last_hidden_state: features } = await loaded.sessions.vision_encoder.run({
    pixel_values: tiles(n),
  });
  await loaded.sessions.projector.run({ vision_features: features });
  stage(`vision encoder + projector, ${n} tile${n > 1 ? 's' : ''}`);
}
const { decoder } = loaded;
const short = decoder.createCache();
await decoder.prefill(short, promptIds(103));
stage('prefill 103');
for (let i = 0; i < 16; i++) await decoder.step(short, 1000 + i);
stage('16 steps');
const long = decoder.createCache();
await decoder.prefill(long, promptIds(1829));
stage('prefill 1829 (2 caches held)');
for (let i = 0; i < 16; i++) await decoder.step(long, 1000 + i);
stage('16 steps');
// The largest mappings: [heap] and [anon] are malloc's and V8's; named ones are files, summed
// over their mappings (onnxruntime maps each external initializer on its own, and keeps mapped
// those it did not prepack away: on x86 the MatMulNBits scales, which it also copies into its
// packed weights).
const mappings = [];
for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
  if (/^[0-9a-f]+-[0-9a-f]+ /.test(line))
    mappings.push({ name: line.split(/\s+/).slice(5).join(' ') || '[anon]', kb: 0, count: 1 });
  else if (line.startsWith('Rss:')) mappings.at(-1).kb += Number(line.split(/\s+/)[1]);
}
const byFile = new Map();
for (const m of mappings) {
  // [heap] and each [anon] on its own; a file's mappings summed.
  const key = m.name.startsWith('[') ? m : m.name;
  const sum = byFile.get(key);
  if (sum) {
    sum.kb += m.kb;
    sum.count++;
  } else byFile.set(key, m);
}
console.log('largest mappings:');
for (const { name, kb, count } of [...byFile.values()].sort((a, b) => b.kb - a.kb).slice(0, 8))
  console.log(`  ${mb(kb)}  ${name}${count > 1 ? ` (${count} mappings)` : ''}`);
short.dispose();
long.dispose();
await loaded.dispose();
