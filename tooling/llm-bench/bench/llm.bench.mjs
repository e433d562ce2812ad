// pnpm --filter @ivl/llm-bench bench: ivl's LLM stage against llama.cpp on this machine, in one run.
// The InternVL2.5-1B LLM shape (Qwen2.5-0.5B: 24 layers, 896 wide, 14/2 heads; or InternVL3.5-1B's
// Qwen3-0.6B with IVL_BENCH_PRESET=internvl3_5-1b) with the same
// synthetic weights in both: our converter's ONNX (fp32, q8, q4, int8) and a GGUF our writer makes
// from the same checkpoint (F32, Q8_0, Q4_0; the output head at 8 bits in q4 for both; int8, 8 bits
// per channel with activations 8 bits per token, against Q8_0, whose activations are 8 bits too). Each runtime
// runs in its own process, 2 threads, on the same token ids, twice, alternating which goes first
// (IVL_BENCH_ROUNDS), best of the runs; printed per dtype:
//   prefill tokens/s of a 103- and a 1,829-token prompt (including the first greedy token),
//   decode tokens/s over 64 greedy steps, against the bound of (LLM bytes read per token) /
//   (2-thread memory bandwidth measured before each round, the highest), and ivl ÷ llama.cpp.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchModel } from '@ivl/test-models';
import { memoryBandwidth } from '@ivl/test-models/memory-bandwidth';
import { MATRIX_TYPE, writeLlmGguf } from '../dist/index.js';

const THREADS = Number(process.env.IVL_BENCH_THREADS ?? 2);
const DTYPES = (process.env.IVL_BENCH_DTYPES ?? 'fp32,q8,q4,int8').split(',');
// The peer's weights for each of ours: int8 against llama.cpp's 8-bit format.
const GGUF_DTYPE = { fp32: 'fp32', q8: 'q8', q4: 'q4', int8: 'q8' };
const DECODE_TOKENS = 64;
// This machine drifts ±20 % within minutes: each runtime runs this many times, the order
// alternating (ivl first, then llama.cpp first, …), and each figure is its best run.
const ROUNDS = Number(process.env.IVL_BENCH_ROUNDS ?? 2);
const here = fileURLToPath(new URL('.', import.meta.url));
const peer = join(here, '../peer');

// The same checkpoint and ONNX directories as the runtime bench (made once, reused by both);
// IVL_BENCH_PRESET=internvl3_5-1b for InternVL3.5-1B's Qwen3 (llama.cpp's `qwen3`).
const PRESET = process.env.IVL_BENCH_PRESET ?? 'internvl2_5-1b';
const { checkpoint } = await benchModel(DTYPES[0], { preset: PRESET });
if (!existsSync(join(peer, 'node_modules/node-llama-cpp'))) {
  console.log('installing the peer, node-llama-cpp 3.21.1, from its lockfile (once)…');
  // Its postinstall would build llama.cpp from source when no prebuilt binary fits; the prebuilt
  // binaries come as npm packages, so the scripts are not needed.
  execFileSync('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: peer, stdio: 'inherit' });
}
// The GGUF's name holds a hash of the writer and of the checkpoint's weights file size+config, so a
// changed writer or checkpoint never reuses an old file.
const writerHash = createHash('sha256')
  .update(readFileSync(join(here, '../dist/index.js')))
  .update(readFileSync(join(checkpoint, 'config.json')))
  .update(String(statSync(join(checkpoint, 'model.safetensors')).size))
  .digest('hex')
  .slice(0, 12);

const run = (script, args) =>
  JSON.parse(
    execFileSync(process.execPath, [join(here, script), ...args.map(String)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 1 << 20,
    })
      .trim()
      .split('\n')
      .at(-1),
  );
const fileBytes = (directory, names) =>
  names.reduce((sum, name) => sum + statSync(join(directory, name)).size, 0);
const f = (value, digits = 1) => value.toFixed(digits);

const rows = [];
for (const dtype of DTYPES) {
  const { model: modelDir } = await benchModel(dtype, { preset: PRESET });
  const ggufDtype = GGUF_DTYPE[dtype];
  const ggufName = `ivl-bench-gguf-${PRESET}-${ggufDtype}-${writerHash}.gguf`;
  const gguf = join(tmpdir(), ggufName);
  // Bounded: the files of an older writer or checkpoint go (each is up to 2.5 GB).
  for (const name of readdirSync(tmpdir())) {
    if (name.startsWith(`ivl-bench-gguf-${PRESET}-${ggufDtype}-`) && name !== ggufName)
      rmSync(join(tmpdir(), name));
  }
  if (!existsSync(gguf)) {
    console.log(`writing the ${ggufDtype} GGUF (once)…`);
    await writeLlmGguf(checkpoint, gguf, ggufDtype);
  }
  const manifest = JSON.parse(readFileSync(join(modelDir, 'ivl.json'), 'utf8'));
  const decoderFiles = manifest.files.decoder_model_merged[dtype];
  const ivlBytes = fileBytes(modelDir, [
    decoderFiles.onnx.path,
    ...decoderFiles.externalData.map((x) => x.path),
  ]);
  // What the LLM stage loads: the embedding table and the decoder.
  const llmFiles = [manifest.files.embed_tokens[dtype], decoderFiles];
  const allIvlBytes = llmFiles.reduce(
    (sum, files) => sum + fileBytes(modelDir, [files.onnx.path, ...files.externalData.map((x) => x.path)]),
    0,
  );
  // Measured before each round; the highest taken, so the bound is never flattering.
  let bandwidth = 0;
  const runs = { ivl: [], llama: [] };
  for (let round = 0; round < ROUNDS; round++) {
    bandwidth = Math.max(bandwidth, await memoryBandwidth(THREADS));
    const order = round % 2 === 0 ? ['ivl', 'llama'] : ['llama', 'ivl'];
    for (const who of order) {
      runs[who].push(
        who === 'ivl'
          ? run('ivl-llm.mjs', [modelDir, dtype, THREADS, DECODE_TOKENS])
          : run('llama-llm.mjs', [gguf, THREADS, DECODE_TOKENS]),
      );
    }
  }
  const best = (list) => ({
    ...list[0],
    ...Object.fromEntries(
      ['prefill103', 'prefill1829', 'decode', 'decodeAfter1829'].map((key) => [
        key,
        Math.max(...list.map((r) => r[key])),
      ]),
    ),
    peakRss: Math.max(...list.map((r) => r.peakRss)),
  });
  const ivl = best(runs.ivl);
  const llama = best(runs.llama);
  // llama.cpp reads the same matrices per token (the embedding row aside).
  const bound = bandwidth / ivlBytes;
  const same = ivl.tokens.findIndex((token, i) => token !== llama.tokens[i]);
  console.log(
    `${dtype} (llama.cpp ${MATRIX_TYPE[ggufDtype]}): memory bandwidth ${f(bandwidth / 1e9)} GB/s (${THREADS} threads); LLM weights read per token ${f(ivlBytes / 1e9, 2)} GB → decode bound ${f(bound)} tokens/s`,
  );
  console.log(
    `  prefill 103:  ivl ${f(ivl.prefill103, 0)} tokens/s, llama.cpp ${f(llama.prefill103, 0)}, ivl ÷ llama.cpp ${f(ivl.prefill103 / llama.prefill103, 2)}×`,
  );
  console.log(
    `  prefill 1829: ivl ${f(ivl.prefill1829, 0)} tokens/s, llama.cpp ${f(llama.prefill1829, 0)}, ivl ÷ llama.cpp ${f(ivl.prefill1829 / llama.prefill1829, 2)}×`,
  );
  console.log(
    `  decode ${DECODE_TOKENS}:    ivl ${f(ivl.decode)} tokens/s (${f(ivl.decode / bound, 2)} of the bound), llama.cpp ${f(llama.decode)} (${f(llama.decode / bound, 2)}), ivl ÷ llama.cpp ${f(ivl.decode / llama.decode, 2)}×`,
  );
  console.log(
    `  decode ${DECODE_TOKENS} after the 1829-token prompt: ivl ${f(ivl.decodeAfter1829)} tokens/s, llama.cpp ${f(llama.decodeAfter1829)}, ivl ÷ llama.cpp ${f(ivl.decodeAfter1829 / llama.decodeAfter1829, 2)}×`,
  );
  console.log(
    `  peak RSS: ivl ${f(ivl.peakRss / 1e9, 2)} GB for ${f(allIvlBytes / 1e9, 2)} GB of LLM weights (${f(ivl.peakRss / allIvlBytes, 2)}×, target ≤ 1.3×); llama.cpp ${f(llama.peakRss / 1e9, 2)} GB for a ${f(statSync(gguf).size / 1e9, 2)} GB GGUF (mmap)`,
  );
  console.log(
    `  greedy tokens: ${same === -1 ? `the first ${ivl.tokens.length} agree` : `agree up to ${same} of ${ivl.tokens.length}`} (ivl ${ivl.tokens.slice(0, 6).join(' ')} …, llama.cpp ${llama.tokens.slice(0, 6).join(' ')} …)`,
  );
  rows.push({ dtype, ivl, llama, bound });
}
console.log(
  '\n| weights | prefill 103 ivl / llama.cpp | prefill 1829 ivl / llama.cpp | decode ivl / llama.cpp | decode ratio | decode after 1829 ivl / llama.cpp |',
);
console.log('|---|---|---|---|---|---|');
for (const { dtype, ivl, llama } of rows) {
  console.log(
    `| ${dtype} | ${f(ivl.prefill103, 0)} / ${f(llama.prefill103, 0)} | ${f(ivl.prefill1829, 0)} / ${f(llama.prefill1829, 0)} | ${f(ivl.decode)} / ${f(llama.decode)} | ${f(ivl.decode / llama.decode, 2)}× | ${f(ivl.decodeAfter1829)} / ${f(llama.decodeAfter1829)} |`,
  );
}
