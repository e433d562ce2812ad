// pnpm bench: decode + tile + normalize of a 1920×1080 and a 4000×3000 JPEG at maxTiles 12,
// against the bound of writing pixel_values at this machine's memory bandwidth, and against the
// official Python pipeline (Pillow + numpy ToTensor/Normalize) on the same files when Debian's
// python3-pil is installed.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { decodeImage, loadImage, tilingThreads } from '../dist/node/index.js';

const RUNS = Number(process.env.IVL_BENCH_RUNS ?? 15);
const dir = mkdtempSync(join(tmpdir(), 'ivl-bench-'));

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function syntheticJpeg(width, height) {
  // A photo-like mix: smooth gradients, hard edges and fine noise, so the JPEG has real entropy.
  const data = Buffer.alloc(width * height * 3);
  let seed = 12345;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const noise = (seed >>> 24) & 31;
      const i = (y * width + x) * 3;
      data[i] = ((x * 255) / width + noise) & 255;
      data[i + 1] = (((y * 255) / height) ^ ((x >> 5) & 1 ? 64 : 0)) & 255;
      data[i + 2] = ((x + y) >> 3) & 255;
    }
  }
  return sharp(data, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 90 })
    .toBuffer();
}

function measureBandwidthGBs() {
  const bytes = 256 * 1024 * 1024;
  const a = new Uint8Array(bytes);
  const b = new Uint8Array(bytes);
  a.fill(1);
  b.set(a);
  const times = [];
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    b.set(a);
    times.push(performance.now() - start);
  }
  // A copy reads and writes every byte.
  return (2 * bytes) / (median(times) / 1000) / 1e9;
}

// The output must be new memory (the caller keeps pixel_values), and on this kind of machine the
// first touch of fresh pages costs far more than bandwidth says (~1 ms per MB here): the time to
// allocate and fill a new buffer of the output's size is the floor of any tiler that returns one.
function freshWriteMs(bytes) {
  const times = [];
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    new Float32Array(bytes / 4).fill(1);
    times.push(performance.now() - start);
  }
  return median(times);
}

function pythonMedianMs(file) {
  if (!existsSync('/usr/bin/python3')) return undefined;
  const script = `
import sys, time
import numpy as np
from PIL import Image
MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32); STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
def grids(mx):
    return sorted({(i, j) for n in range(1, mx + 1) for i in range(1, n + 1) for j in range(1, n + 1) if 1 <= i * j <= mx}, key=lambda g: g[0] * g[1])
def closest(ar, gs, w, h, s):
    bd, best = float('inf'), (1, 1)
    for g in gs:
        d = abs(ar - g[0] / g[1])
        if d < bd: bd, best = d, g
        elif d == bd and w * h > 0.5 * s * s * g[0] * g[1]: best = g
    return best
def load(path, s=448, mx=12):
    im = Image.open(path).convert('RGB')
    w, h = im.size
    c, r = closest(w / h, grids(mx), w, h, s)
    big = im.resize((s * c, s * r))
    tiles = [big.crop(((k % c) * s, (k // c) * s, (k % c + 1) * s, (k // c + 1) * s)) for k in range(c * r)]
    if len(tiles) != 1: tiles.append(im.resize((s, s)))
    arr = np.stack([np.asarray(t, dtype=np.uint8) for t in tiles]).astype(np.float32) / np.float32(255)
    return np.ascontiguousarray(((arr - MEAN) / STD).transpose(0, 3, 1, 2))
times = []
for _ in range(int(sys.argv[2])):
    t = time.perf_counter(); load(sys.argv[1]); times.append((time.perf_counter() - t) * 1000)
print(sorted(times)[len(times) // 2])
`;
  try {
    return Number(
      // stderr kept: without numpy or Pillow the reference is reported as not installed.
      execFileSync('/usr/bin/python3', ['-c', script, file, String(RUNS)], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      }).trim(),
    );
  } catch {
    return undefined;
  }
}

const bandwidth = measureBandwidthGBs();
console.log(`memory bandwidth (copy): ${bandwidth.toFixed(1)} GB/s; runs per figure: ${RUNS}`);
for (const [width, height] of [
  [1920, 1080],
  [4000, 3000],
]) {
  const jpeg = await syntheticJpeg(width, height);
  const file = join(dir, `${width}x${height}.jpg`);
  writeFileSync(file, jpeg);
  await loadImage(file); // warm up the JIT and sharp
  const threads = tilingThreads();
  // The same job on the calling thread alone, then on the default threads, one block each
  // (alternating them run to run measured both worse than either alone).
  const alone = [];
  const decodeTimes = [];
  const totalTimes = [];
  let dims;
  for (const count of [1, threads]) {
    tilingThreads(count);
    await loadImage(file, { maxTiles: 12 }); // starts the helpers
    for (let i = 0; i < RUNS; i++) {
      let start = performance.now();
      await decodeImage(file);
      if (count === threads) decodeTimes.push(performance.now() - start);
      start = performance.now();
      const tiled = await loadImage(file, { maxTiles: 12 });
      (count === 1 ? alone : totalTimes).push(performance.now() - start);
      dims = tiled.dims;
    }
  }
  tilingThreads(threads);
  const total = median(totalTimes);
  const outputBytes = dims.reduce((a, b) => a * b, 1) * 4;
  const boundMs = (outputBytes / (bandwidth * 1e9)) * 1000;
  const freshMs = freshWriteMs(outputBytes);
  const python = pythonMedianMs(file);
  console.log(
    `tiling ${width}×${height} JPEG -> [${dims.join(',')}]: ${total.toFixed(1)} ms median on ${threads} threads ` +
      `(decode ${median(decodeTimes).toFixed(1)} ms; on 1 thread ${median(alone).toFixed(1)} ms); bounds: write ${(outputBytes / 1e6).toFixed(0)} MB pixel_values at ` +
      `${bandwidth.toFixed(1)} GB/s ${boundMs.toFixed(1)} ms (ratio ${(total / boundMs).toFixed(1)}×), into fresh memory ` +
      `${freshMs.toFixed(1)} ms (ratio ${(total / freshMs).toFixed(1)}×); ` +
      (python === undefined
        ? 'Python reference: not installed (python3-pil, python3-numpy)'
        : `Python (Pillow+numpy) ${python.toFixed(1)} ms, ${(python / total).toFixed(2)}× ours`),
  );
}
