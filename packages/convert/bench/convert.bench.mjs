// pnpm bench: convert a full-size synthetic InternVL2.5-1B checkpoint (BF16, as released) to fp32
// ONNX; prints wall time and peak RSS against the bound of writing the same bytes to this disk.
import { closeSync, existsSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { internvlQwen2Tokenizer } from '@ivl/synthetic-tokenizers';
import { convertCheckpoint, writeSyntheticCheckpoint } from '../dist/index.js';

const checkpoint = join(tmpdir(), 'ivl-bench-internvl2_5-1b-hf');
const output = join(tmpdir(), 'ivl-bench-internvl2_5-1b-ivl');
if (!existsSync(join(checkpoint, 'config.json'))) {
  const started = performance.now();
  await writeSyntheticCheckpoint(checkpoint, 'internvl2_5-1b', {
    seed: 1,
    tokenizer: internvlQwen2Tokenizer(),
  });
  console.log(
    `wrote the synthetic checkpoint in ${((performance.now() - started) / 1000).toFixed(1)} s (once)`,
  );
}

function diskWriteBytesPerSecond() {
  const path = join(tmpdir(), 'ivl-bench-disk-probe');
  const block = new Uint8Array(64 * 1024 * 1024).fill(1);
  const started = performance.now();
  const fd = openSync(path, 'w');
  for (let i = 0; i < 16; i++) writeSync(fd, block);
  closeSync(fd);
  const seconds = (performance.now() - started) / 1000;
  rmSync(path);
  return (16 * block.length) / seconds;
}

const rssBefore = process.resourceUsage().maxRSS * 1024;
const started = performance.now();
const result = await convertCheckpoint(checkpoint, output, { overwrite: true });
const seconds = (performance.now() - started) / 1000;
const peakRss = process.resourceUsage().maxRSS * 1024;
const written = result.files.reduce((sum, file) => sum + file.bytes, 0);
const bandwidth = diskWriteBytesPerSecond();
const bound = written / bandwidth;
console.log(
  `convert internvl2_5-1b (BF16 -> fp32 ONNX, ${(written / 1e9).toFixed(2)} GB written): ${seconds.toFixed(1)} s; ` +
    `bound (write at ${(bandwidth / 1e9).toFixed(2)} GB/s) ${bound.toFixed(1)} s, ratio ${(seconds / bound).toFixed(1)}×; ` +
    `peak RSS ${(peakRss / 1e9).toFixed(2)} GB (before: ${(rssBefore / 1e9).toFixed(2)} GB; largest tensor fp32 ${((151674 * 896 * 4) / 1e9).toFixed(2)} GB)`,
);
for (const file of result.files)
  console.log(`  ${file.path.padEnd(44)} ${(file.bytes / 1e6).toFixed(1).padStart(9)} MB`);
