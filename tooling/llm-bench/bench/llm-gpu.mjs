// One-shot GPU evidence for issue 15: the InternVL2.5-1B shape (synthetic weights, made and
// converted on the spot, as no model can travel to the GPU machine) on onnxruntime-node's devices,
// through the runtime's own loadModel (so on webgpu the decoder's KV cache stays in GPU buffers
// between steps). Per device and dtype it prints, and appends to $OUT/llm-gpu.jsonl when OUT is set:
// the vision encoder + projector in ms per 448 tile (batches of 1 and of 4, the runtime's
// micro-batch), prefill tokens/s of a 103- and a 1,829-token prompt (with the first greedy token),
// decode tokens/s over 64 greedy steps after each, where the KV cache lies, load time and RSS.
//   node tooling/llm-bench/bench/llm-gpu.mjs [devices=webgpu] [dtypes=fp16,q4] [workdir=$TMPDIR/ivl-gpu]
// IVL_GPU_PRESET=tiny-qwen2 runs the same steps on the tiny test model (a dry run of the script).
// Bundled with its packages by tooling/gpu/make-bundle.sh (.gpu/llm-gpu.mjs) for a machine without Node.
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNodeBackend } from '@ivl/backend-node';
import { convertCheckpoint, writeSyntheticCheckpoint } from '@ivl/convert';
import { createTensor } from '@ivl/core';
import { loadModel } from '@ivl/runtime';
import { modelStoreFromDirectory } from '@ivl/runtime/node';
import { greedyTimers, promptIds } from './bench-run.mjs';

const [devicesArg = 'webgpu', dtypesArg = 'fp16,q4', work = join(tmpdir(), 'ivl-gpu')] =
  process.argv.slice(2);
const PRESET = process.env.IVL_GPU_PRESET ?? 'internvl2_5-1b';
const DECODE_TOKENS = 64;
const out = process.env.OUT ? join(process.env.OUT, 'llm-gpu.jsonl') : undefined;
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const seconds = (since) => (performance.now() - since) / 1000;
const report = (record) => {
  console.log(JSON.stringify(record));
  if (out) appendFileSync(out, `${JSON.stringify(record)}\n`);
};

// The tokenizer travels as a file in the bundle (its package reads it from node_modules).
async function tokenizer() {
  const bundled = new URL('./tokenizer.json', import.meta.url);
  if (existsSync(bundled)) return JSON.parse(readFileSync(bundled, 'utf8'));
  const { presetTokenizer } = await import('@ivl/test-models');
  return presetTokenizer(PRESET);
}

async function model(dtype) {
  mkdirSync(work, { recursive: true });
  const checkpoint = join(work, `${PRESET}-hf`);
  if (!existsSync(join(checkpoint, 'config.json'))) {
    const started = performance.now();
    await writeSyntheticCheckpoint(`${checkpoint}.partial`, PRESET, {
      seed: 1,
      tokenizer: await tokenizer(),
    });
    renameSync(`${checkpoint}.partial`, checkpoint);
    report({ step: 'checkpoint', seconds: seconds(started) });
  }
  const dir = join(work, `${PRESET}-${dtype}`);
  if (!existsSync(join(dir, 'ivl.json'))) {
    const started = performance.now();
    await convertCheckpoint(checkpoint, dir, { overwrite: true, dtype });
    report({ step: `convert ${dtype}`, seconds: seconds(started) });
  }
  return dir;
}

async function bench(device, dtype, dir) {
  // Progress on stderr, so that the tail of a run cut short says where it was.
  const begun = performance.now();
  const phase = (text) => console.error(`[${device} ${dtype}] ${text} at ${seconds(begun).toFixed(1)} s`);
  const backend = createNodeBackend({ device, threads: Math.min(8, availableParallelism()) });
  await backend.init();
  const started = performance.now();
  const loaded = await loadModel(modelStoreFromDirectory(dir), backend, { dtype });
  const loadSeconds = seconds(started);
  const { sessions, decoder } = loaded;
  const tiles = (n) =>
    createTensor(
      'float32',
      [n, 3, 448, 448],
      Float32Array.from({ length: n * 3 * 448 * 448 }, (_, i) => Math.sin(i) * 0.5),
    );
  const visionMs = async (n) => {
    const pixels = tiles(n);
    const once = async () => {
      const t = performance.now();
      const { last_hidden_state: features } = await sessions.vision_encoder.run({ pixel_values: pixels });
      await sessions.projector.run({ vision_features: features });
      return performance.now() - t;
    };
    await once();
    return median([await once(), await once(), await once()]) / n;
  };
  phase('loaded');
  const vision = { batch1: await visionMs(1), batch4: await visionMs(4) };
  phase('vision timed');
  const timers = greedyTimers(decoder);
  const prefill = timers.prefill;
  const decode = (run) => timers.decode(run, DECODE_TOKENS);
  (await prefill(promptIds(16))).cache.dispose(); // warm-up: first-run allocations, shader compiles
  const short = [];
  let kept;
  for (let r = 0; r < 3; r++) {
    const run = await prefill(promptIds(103));
    short.push(run.seconds);
    kept?.cache.dispose();
    kept = run;
  }
  phase('prefill 103 timed');
  const past = kept.cache.pastFeeds()['past_key_values.0.key'];
  const kvLocation = 'kind' in past ? past.location : 'cpu';
  const afterShort = await decode(kept);
  kept.cache.dispose();
  phase('decode after 103 timed');
  const long = await prefill(promptIds(1829));
  phase('prefill 1829 timed');
  const afterLong = await decode(long);
  long.cache.dispose();
  const record = {
    device,
    dtype,
    capabilities: backend.capabilities,
    kvLocation,
    loadSeconds,
    visionMsPerTile: vision,
    prefill103: 103 / median(short),
    prefill1829: 1829 / long.seconds,
    decode: DECODE_TOKENS / afterShort.seconds,
    decodeAfter1829: DECODE_TOKENS / afterLong.seconds,
    tokens: afterShort.tokens.slice(0, 16),
    rssBytes: process.memoryUsage().rss,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
  };
  await loaded.dispose();
  await backend.dispose();
  return record;
}

let gpu = 'unknown';
try {
  gpu = execFileSync(
    'nvidia-smi',
    ['--query-gpu=name,driver_version,memory.total', '--format=csv,noheader'],
    {
      encoding: 'utf8',
    },
  ).trim();
} catch {}
report({ step: 'machine', gpu, cpus: availableParallelism(), node: process.version });
for (const dtype of dtypesArg.split(',')) {
  const dir = await model(dtype);
  for (const device of devicesArg.split(',')) {
    try {
      report(await bench(device, dtype, dir));
    } catch (error) {
      report({ device, dtype, error: `${error.name}: ${error.message}` });
    }
  }
}
