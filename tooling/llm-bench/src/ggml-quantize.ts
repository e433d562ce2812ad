import { float16BitsToFloat32, float32ToFloat16Bits } from '@ivl/core';

/** GGML tensor types this writer produces (ggml.h numbering). */
export const GGML_TYPE = { F32: 0, Q4_0: 2, Q8_0: 8 } as const;
export type GgmlType = keyof typeof GGML_TYPE;

/** Values per quantization block of Q4_0 and Q8_0. */
export const QK = 32;

/** Bytes one row of `width` values takes in `type`. */
export function rowBytes(type: GgmlType, width: number): number {
  if (type === 'F32') return 4 * width;
  if (width % QK !== 0) throw new RangeError(`${type} rows need a multiple of ${QK} values, got ${width}.`);
  return (width / QK) * (type === 'Q8_0' ? 2 + QK : 2 + QK / 2);
}

/**
 * ggml's reference Q8_0 (`quantize_row_q8_0_ref`): per 32 values an fp16 scale d = max|x| / 127,
 * then round(x / d) as int8. Written from the block layout in ggml-common.h, for a peer that reads
 * exactly these bytes.
 */
export function quantizeQ8_0(values: Float32Array): Uint8Array {
  const out = new Uint8Array(rowBytes('Q8_0', values.length));
  const view = new DataView(out.buffer);
  for (let block = 0, o = 0; block < values.length; block += QK, o += 2 + QK) {
    let amax = 0;
    for (let j = 0; j < QK; j++) amax = Math.max(amax, Math.abs(values[block + j]!));
    const d = amax / 127;
    const id = d ? 1 / d : 0;
    view.setUint16(o, float32ToFloat16Bits(d), true);
    for (let j = 0; j < QK; j++) view.setInt8(o + 2 + j, Math.round(values[block + j]! * id));
  }
  return out;
}

/**
 * ggml's reference Q4_0 (`quantize_row_q4_0_ref`): per 32 values the value of largest magnitude m
 * (sign kept), d = m / -8, codes min(15, trunc(x / d + 8.5)); value j in the low nibble of byte j,
 * value j + 16 in its high nibble.
 */
export function quantizeQ4_0(values: Float32Array): Uint8Array {
  const out = new Uint8Array(rowBytes('Q4_0', values.length));
  const view = new DataView(out.buffer);
  for (let block = 0, o = 0; block < values.length; block += QK, o += 2 + QK / 2) {
    let amax = 0;
    let max = 0;
    for (let j = 0; j < QK; j++) {
      const v = values[block + j]!;
      if (Math.abs(v) > amax) {
        amax = Math.abs(v);
        max = v;
      }
    }
    const d = max / -8;
    const id = d ? 1 / d : 0;
    view.setUint16(o, float32ToFloat16Bits(d), true);
    const code = (v: number) => Math.min(15, Math.trunc(Math.fround(v * id) + 8.5));
    for (let j = 0; j < QK / 2; j++) {
      out[o + 2 + j] = code(values[block + j]!) | (code(values[block + QK / 2 + j]!) << 4);
    }
  }
  return out;
}

/** The values a Q8_0 or Q4_0 row stands for (what ggml's dequantize gives), for checks. */
export function dequantize(type: 'Q8_0' | 'Q4_0', bytes: Uint8Array, width: number): Float32Array {
  const out = new Float32Array(width);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const blockBytes = type === 'Q8_0' ? 2 + QK : 2 + QK / 2;
  for (let b = 0; b < width / QK; b++) {
    const o = b * blockBytes;
    const d = float16BitsToFloat32(view.getUint16(o, true));
    for (let j = 0; j < QK; j++) {
      out[b * QK + j] =
        type === 'Q8_0'
          ? d * view.getInt8(o + 2 + j)
          : d * (j < QK / 2 ? (bytes[o + 2 + j]! & 15) - 8 : (bytes[o + 2 + j - QK / 2]! >> 4) - 8);
    }
  }
  return out;
}
