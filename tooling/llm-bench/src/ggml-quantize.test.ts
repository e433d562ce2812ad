import { float16BitsToFloat32 } from '@ivl/core';
import { describe, expect, it } from 'vitest';
import { dequantize, quantizeQ4_0, quantizeQ8_0, rowBytes } from './ggml-quantize.js';

const seeded = (n: number, seed = 1) => {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return (s / 2 ** 31 - 0.5) * 0.2;
  });
};

describe('ggml block quantization', () => {
  it('should lay out Q8_0 as fp16 scale + 32 int8 codes, within half a step of each value', () => {
    const values = seeded(64);
    const bytes = quantizeQ8_0(values);
    expect(bytes.length).toBe(rowBytes('Q8_0', 64));
    expect(bytes.length).toBe(68);
    const back = dequantize('Q8_0', bytes, 64);
    for (let b = 0; b < 2; b++) {
      const d = float16BitsToFloat32(bytes[b * 34]! | (bytes[b * 34 + 1]! << 8));
      const amax = Math.max(...values.subarray(b * 32, b * 32 + 32).map(Math.abs));
      // d is max|x|/127 rounded to fp16.
      expect(Math.abs(d - amax / 127)).toBeLessThanOrEqual((amax / 127) * 2 ** -10);
      for (let j = 0; j < 32; j++) {
        expect(Math.abs(back[b * 32 + j]! - values[b * 32 + j]!)).toBeLessThanOrEqual(d / 2 + 1e-7);
      }
    }
  });

  it('should lay out Q4_0 with the largest-magnitude value at code 0 and nibbles j | j+16 << 4', () => {
    // A hand-made block: the largest magnitude is -0.8 at index 3, so d = -0.8 / -8 = 0.1.
    const values = Float32Array.from({ length: 32 }, (_, j) => (j === 3 ? -0.8 : j === 20 ? 0.3 : 0));
    const bytes = quantizeQ4_0(values);
    expect(bytes.length).toBe(18);
    expect(float16BitsToFloat32(bytes[0]! | (bytes[1]! << 8))).toBeCloseTo(0.1, 4);
    // x / d + 8.5 truncated: -0.8 → 0 (index 3, low nibble of byte 3); 0.3 → 11 (index 20, high nibble of byte 4); 0 → 8.
    expect(bytes[2 + 3]! & 15).toBe(0);
    expect(bytes[2 + 4]! >> 4).toBe(11);
    expect(bytes[2 + 0]).toBe(8 | (8 << 4));
    const back = dequantize('Q4_0', bytes, 32);
    expect(back[3]).toBeCloseTo(-0.8, 3);
    expect(back[20]).toBeCloseTo(0.3, 3);
  });

  it('should keep seeded Q4_0 values within half a step, the positive extreme clamped to code 15', () => {
    const values = seeded(320, 7);
    const back = dequantize('Q4_0', quantizeQ4_0(values), 320);
    for (let b = 0; b < 10; b++) {
      const block = values.subarray(b * 32, b * 32 + 32);
      const step = Math.max(...block.map(Math.abs)) / 8;
      for (let j = 0; j < 32; j++) {
        expect(Math.abs(back[b * 32 + j]! - block[j]!)).toBeLessThanOrEqual(step * 1.002);
      }
    }
  });

  it('should refuse a row width that is not a multiple of 32', () => {
    expect(() => rowBytes('Q4_0', 48)).toThrow(/multiple of 32/);
  });
});
