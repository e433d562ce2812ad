import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, ShapeMismatchError } from '../errors/index.js';
import { float16BitsToFloat32, float32ArrayToFloat16, float32ToFloat16Bits } from './float16.js';
import { createTensor, isTensorDataType, tensorSize } from './tensor.js';

describe('createTensor', () => {
  it('should allocate zeroed data of the right type and size', () => {
    const tensor = createTensor('float32', [2, 3]);
    expect(tensor.data).toBeInstanceOf(Float32Array);
    expect(tensor.data.length).toBe(6);
    expect(createTensor('int64', [4]).data).toBeInstanceOf(BigInt64Array);
  });

  it('should reject data whose length does not match the dims', () => {
    expect(() => createTensor('uint8', [2, 2], new Uint8Array(3))).toThrow(ShapeMismatchError);
  });

  it('should reject negative or fractional dims', () => {
    expect(() => tensorSize([2, -1])).toThrow(InvalidArgumentError);
    expect(() => tensorSize([1.5])).toThrow(InvalidArgumentError);
    expect(tensorSize([])).toBe(1);
  });
});

describe('float32ToFloat16Bits', () => {
  it('should encode known values exactly', () => {
    expect(float32ToFloat16Bits(0)).toBe(0x0000);
    expect(float32ToFloat16Bits(-0)).toBe(0x8000);
    expect(float32ToFloat16Bits(1)).toBe(0x3c00);
    expect(float32ToFloat16Bits(-2)).toBe(0xc000);
    expect(float32ToFloat16Bits(65504)).toBe(0x7bff);
    expect(float32ToFloat16Bits(65520)).toBe(0x7c00); // rounds up to infinity
    expect(float32ToFloat16Bits(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(float32ToFloat16Bits(2 ** -25)).toBe(0x0000); // tie to even: 0
    expect(float32ToFloat16Bits(3 * 2 ** -25)).toBe(0x0002); // tie to even: 2
    expect(float32ToFloat16Bits(Number.NaN) & 0x7c00).toBe(0x7c00);
    expect(float32ToFloat16Bits(Number.POSITIVE_INFINITY)).toBe(0x7c00);
  });

  it('should round to nearest even at the mantissa boundary', () => {
    // 1 + 2^-11 lies halfway between 1 and 1 + 2^-10: ties to the even mantissa (1).
    expect(float32ToFloat16Bits(1 + 2 ** -11)).toBe(0x3c00);
    // 1 + 3·2^-11 lies halfway between 1+2^-10 (odd) and 1+2^-9 (even).
    expect(float32ToFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
  });

  it('should round-trip every finite half value', () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      if ((bits & 0x7c00) === 0x7c00) continue;
      expect(float32ToFloat16Bits(float16BitsToFloat32(bits))).toBe(bits);
    }
  });

  it('should convert arrays element-wise', () => {
    expect([...float32ArrayToFloat16(Float32Array.from([1, -2, 0.5]))]).toEqual([0x3c00, 0xc000, 0x3800]);
  });
});

describe('isTensorDataType', () => {
  it('should know the element types ivl carries and no others', () => {
    for (const type of ['float32', 'float16', 'int64', 'int32', 'uint8', 'bool'])
      expect(isTensorDataType(type)).toBe(true);
    for (const type of ['int8', 'float64', 'string', 'toString', ''])
      expect(isTensorDataType(type)).toBe(false);
  });
});
