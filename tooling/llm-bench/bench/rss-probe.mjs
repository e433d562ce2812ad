import { readFileSync } from 'node:fs';
import { createNodeBackend } from '@ivl/backend-node';
import { loadModel, modelStoreFromDirectory } from '@ivl/runtime/node';
import { benchModel } from '@ivl/test-models';
import { promptIds } from './bench-run.mjs';

const dtype = process.argv[2] ?? 'q4';
const { model: modelDir } = await benchModel(dtype, {
  preset: process.env.IVL_BENCH_PRESET ?? 'internvl2_5-1b',
});
const stage = (name) => {
  const s = readFileSync('/proc/self/status', 'utf8');
  const g = (k) => (Number(s.match(new RegExp(`${k}:\\s+(\\d+)`))[1]) / 1024).toFixed(0);
  console.log(
    `${name.padEnd(28)} rss ${g('VmRSS')} anon ${g('RssAnon')} file ${g('RssFile')} hwm ${g('VmHWM')} MB  heap ${(process.memoryUsage().heapUsed / 1e6).toFixed(0)} ab ${(process.memoryUsage().arrayBuffers / 1e6).toFixed(0)}`,
  );
};
stage('start');
const backend = createNodeBackend({
  device: 'cpu',
  threads: 2,
  sessionOptions: JSON.parse(process.env.SO ?? '{}'),
});
await backend.init();
stage('backend');
const loaded = await loadModel(modelStoreFromDirectory(modelDir), backend, { dtype });
stage('loaded');
const { decoder } = loaded;
const c0 = decoder.createCache();
await decoder.prefill(c0, promptIds(16));
c0.dispose();
stage('prefill 16');
const c1 = decoder.createCache();
const t1 = performance.now();
await decoder.prefill(c1, promptIds(103));
stage('prefill 103 ' + (performance.now() - t1).toFixed(0) + 'ms');
const t2 = performance.now();
for (let i = 0; i < 16; i++) await decoder.step(c1, 1000 + i);
stage('16 steps ' + ((performance.now() - t2) / 16).toFixed(1) + 'ms');
const c2 = decoder.createCache();
let t0 = performance.now();
await decoder.prefill(c2, promptIds(1829));
stage('prefill 1829 ' + (performance.now() - t0).toFixed(0) + 'ms');
t0 = performance.now();
for (let i = 0; i < 8; i++) await decoder.step(c2, 1000 + i);
stage('8 steps after 1829 ' + ((performance.now() - t0) / 8).toFixed(1) + 'ms');
c2.dispose();
c1.dispose();
stage('disposed');
const smaps = readFileSync('/proc/self/smaps', 'utf8').split('\n');
const maps = [];
let cur;
for (const line of smaps) {
  if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) {
    cur = { name: line.split(/\s+/).slice(5).join(' ') || '[anon]', rss: 0, size: 0 };
    maps.push(cur);
  } else if (line.startsWith('Rss:')) cur.rss += Number(line.split(/\s+/)[1]);
  else if (line.startsWith('Size:')) cur.size += Number(line.split(/\s+/)[1]);
}
maps.sort((a, b) => b.rss - a.rss);
for (const m of maps.slice(0, 12))
  console.log((m.rss / 1024).toFixed(0).padStart(6), (m.size / 1024).toFixed(0).padStart(6), m.name);
