import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { float32ArrayToFloat16 } from '@ivl/core';
import { afterAll, describe, expect, it } from 'vitest';
import { openSession, type Runtime } from '../test-support/ort-runner.js';
import { GraphBuilder } from './graph-builder.js';
import { createWeightSink } from './weight-sink.js';

// One linear layer as the int8 dtype builds it (8-bit weights per output channel, activations
// quantized per token at run time, onnxruntime's MatMulIntegerToFloat), on rows of very different scales:
// each row must keep its own precision, which activations quantized per tensor would not (the
// large row's scale would round the small row to zero).
const K = 256;
const N = 96;
const root = mkdtempSync(join(tmpdir(), 'ivl-integer-linear-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function seeded(length: number, seed: number, scale = 1) {
  const values = new Float32Array(length);
  let s = seed;
  for (let i = 0; i < length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    values[i] = (s / 2 ** 32 - 0.5) * 2 * scale;
  }
  return values;
}

const weight = seeded(N * K, 5, 0.05);
// Row 0: ordinary; row 1: one channel 1,000× the rest (a token with a massive activation);
// row 2: 1/1,000 of row 0's scale; row 3: all zero (padding).
const rows = [seeded(K, 11), seeded(K, 13), seeded(K, 17, 1e-3), new Float32Array(K)];
rows[1]![7] = 1000;
const x = new Float32Array(rows.length * K);
for (const [r, row] of rows.entries()) x.set(row, r * K);

const model = (() => {
  const sink = createWeightSink(root, 'linear', float32ArrayToFloat16);
  const g = new GraphBuilder('linear', sink, 'float32', { bits: 8, blockSize: 32, integerGemm: true });
  const input = g.input('x', 'float32', [1, rows.length, K]);
  g.output(g.linear(input, 'w', weight, N, K), 'y', 'float32', [1, rows.length, N]);
  const path = join(root, 'linear.onnx');
  writeFileSync(path, g.build());
  sink.close();
  return path;
})();

describe.each(['node', 'web'] as Runtime[])(
  'GraphBuilder.linear with integerGemm on onnxruntime-%s',
  (runtime) => {
    it('should keep each row within 2 % of the float64 product, and give a zero row zeros', async () => {
      const session = await openSession(runtime, model);
      const { y } = await session.run({ x: { type: 'float32', dims: [1, rows.length, K], data: x } });
      await session.release();
      const errors = rows.map((row, r) => {
        let difference = 0;
        let norm = 0;
        for (let n = 0; n < N; n++) {
          let exact = 0;
          for (let k = 0; k < K; k++) exact += row[k]! * weight[n * K + k]!;
          difference += (y!.data[r * N + n]! - exact) ** 2;
          norm += exact ** 2;
        }
        return r === 3 ? difference : Math.sqrt(difference / norm);
      });
      // Relative error, measured on both runtimes: 0.0052, 0.0100 (the weights' rounding of the one
      // large channel), 0.0066. With one scale for the whole tensor, rows 0 and 2 would round to 0 (1.0).
      expect(errors.slice(0, 3).map((error) => error < 0.02)).toEqual([true, true, true]);
      expect(errors[3]).toBe(0);
    });
  },
);
