import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from '@ivl/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { frameIndicesAtTimes, roundHalfEven, sampleFrameIndices } from './sample-frame-indices.js';

interface GoldenCase {
  frameCount: number;
  fps: number;
  segments: number;
  bound: [number, number] | null;
  firstIndex: number;
  indices?: number[];
  invalid?: true;
}

const golden = JSON.parse(
  readFileSync(new URL('./__fixtures__/frame-indices.golden.json', import.meta.url), 'utf8'),
) as {
  cases: GoldenCase[];
};

describe('sampleFrameIndices', () => {
  it('should equal the official get_index (computed in Python) on every golden case', () => {
    const valid = golden.cases.filter((c) => !c.invalid);
    expect(valid.length).toBeGreaterThan(2000);
    const mismatches = valid.filter((c) => {
      const indices = sampleFrameIndices({ ...c, bound: c.bound ?? undefined });
      return JSON.stringify(indices) !== JSON.stringify(c.indices);
    });
    expect(mismatches.slice(0, 3)).toEqual([]);
  });

  it('should refuse, with a typed error, every bound where the official code indexes past the video', () => {
    const invalid = golden.cases.filter((c) => c.invalid);
    expect(invalid.length).toBeGreaterThan(100);
    for (const c of invalid) {
      expect(() => sampleFrameIndices({ ...c, bound: c.bound ?? undefined })).toThrow(/selects no frame/);
    }
  });

  it.each([
    [{ frameCount: 300, fps: 30, segments: 8 }, [18, 55, 93, 130, 168, 205, 242, 280]],
    [{ frameCount: 121, fps: 24, segments: 8 }, [7, 22, 37, 52, 67, 82, 97, 112]],
    [{ frameCount: 10, fps: 30, segments: 16 }, [0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 6, 6, 7, 7, 8, 8]],
    [
      { frameCount: 1000, fps: 29.97, segments: 8, bound: [5, 20] as const },
      [178, 234, 290, 346, 402, 459, 515, 571],
    ],
  ])('should reproduce the spec example %o', (options, expected) => {
    expect(sampleFrameIndices(options)).toEqual(expected);
  });

  it('should keep every index inside the video and non-decreasing', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100_000 }),
        fc.double({ min: 0.1, max: 240, noNaN: true }),
        fc.integer({ min: 1, max: 128 }),
        (frameCount, fps, segments) => {
          const indices = sampleFrameIndices({ frameCount, fps, segments });
          return (
            indices.length === segments &&
            indices.every((v, i) => v >= 0 && v < frameCount && (i === 0 || v >= indices[i - 1]!))
          );
        },
      ),
    );
  });

  it('should reject invalid arguments with typed errors', () => {
    expect(() => sampleFrameIndices({ frameCount: 0, fps: 30 })).toThrow(
      /`frameCount` must be a positive integer, got 0/,
    );
    expect(() => sampleFrameIndices({ frameCount: 10, fps: 0 })).toThrow(InvalidArgumentError);
    expect(() => sampleFrameIndices({ frameCount: 10, fps: 30, segments: 0 })).toThrow(InvalidArgumentError);
    expect(() => sampleFrameIndices({ frameCount: 10, fps: 30, bound: [3, 1] })).toThrow(/startSec ≤ endSec/);
  });
});

describe('roundHalfEven', () => {
  it.each([
    [0.5, 0],
    [1.5, 2],
    [2.5, 2],
    [-0.5, 0],
    [-1.5, -2],
    [2.4999999999999996, 2],
    [3.7, 4],
  ])('should round %f to %f like Python round()', (value, expected) => {
    expect(roundHalfEven(value)).toBe(expected);
  });
});

describe('frameIndicesAtTimes', () => {
  it('should pick the frame shown at each time, clamped to the video', () => {
    expect(frameIndicesAtTimes([0, 0.5, 1.01, 99], { frameCount: 30, fps: 10 })).toEqual([0, 5, 10, 29]);
    expect(() => frameIndicesAtTimes([-1], { frameCount: 30, fps: 10 })).toThrow(InvalidArgumentError);
  });
});
