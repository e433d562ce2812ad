import { describe, expect, it } from 'vitest';
import { quantizePerChannel } from './quantize-per-channel.js';

describe('quantizePerChannel', () => {
  // A [N = 3, K = 4] PyTorch weight: a channel of mixed signs, one of small values, one all zero.
  const weight = Float32Array.of(0.5, -1.27, 0.01, 1.0, 1e-3, -2e-3, 3e-3, 0, 0, 0, 0, 0);

  it('should lay the codes out as [K, N] and map each channel’s largest magnitude to ±127', () => {
    const { codes, scales } = quantizePerChannel(weight, 3, 4);
    expect(Array.from(scales)).toEqual([Math.fround(1.27 / 127), Math.fround(3e-3 / 127), 1]);
    // Column n of the [K, N] codes is channel n.
    expect(Array.from({ length: 4 }, (_, k) => codes[k * 3]!)).toEqual([50, -127, 1, 100]);
    expect(Array.from({ length: 4 }, (_, k) => codes[k * 3 + 1]!)).toEqual([42, -85, 127, 0]);
    expect(Array.from({ length: 4 }, (_, k) => codes[k * 3 + 2]!)).toEqual([0, 0, 0, 0]);
  });

  it('should reconstruct every weight within half a step of its channel', () => {
    const n = 64;
    const k = 96;
    const random = new Float32Array(n * k);
    let s = 3;
    for (let i = 0; i < random.length; i++) {
      s = (s * 1103515245 + 12345) >>> 0;
      random[i] = (s / 2 ** 32 - 0.5) * (1 + (i % 7));
    }
    const { codes, scales } = quantizePerChannel(random, n, k);
    for (let row = 0; row < n; row++) {
      for (let col = 0; col < k; col++) {
        const error = Math.abs(codes[col * n + row]! * scales[row]! - random[row * k + col]!);
        expect(error).toBeLessThanOrEqual(scales[row]! / 2 + 1e-7);
      }
    }
  });
});
