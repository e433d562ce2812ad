import { InvalidArgumentError } from '@ivl/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  banTokens,
  type LogitsContext,
  type LogitsProcessor,
  logitBias,
  minP,
  presenceFrequencyPenalty,
  repetitionPenalty,
  temperature,
  topK,
  topP,
} from './logits-processors.js';
import { softmax } from './softmax.js';

const none: LogitsContext = { generatedIds: [] };
const apply = (processor: LogitsProcessor, values: number[], context: LogitsContext = none) => {
  const logits = Float32Array.from(values);
  processor(logits, context);
  return Array.from(logits);
};
const kept = (values: number[]) => values.flatMap((v, i) => (v === Number.NEGATIVE_INFINITY ? [] : [i]));

describe('temperature', () => {
  it('should divide logits by the temperature in float32', () => {
    expect(apply(temperature(0.5), [1, -2, 0.1])).toEqual([2, -4, Math.fround(Math.fround(0.1) / 0.5)]);
  });
  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])('should reject %s', (value) => {
    expect(() => temperature(value)).toThrow(InvalidArgumentError);
  });
});

describe('topK', () => {
  it('should keep the k largest and everything tied with the k-th', () => {
    expect(kept(apply(topK(2), [1, 5, 3, 3, 0]))).toEqual([1, 2, 3]);
    expect(kept(apply(topK(1), [1, 5, 3, 5]))).toEqual([1, 3]);
    expect(kept(apply(topK(0), [1, 2, 3]))).toEqual([0, 1, 2]);
    expect(kept(apply(topK(10), [1, 2, 3]))).toEqual([0, 1, 2]);
  });
  it('should agree with a full sort on random logits', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -50, max: 50 }), { minLength: 1, maxLength: 80 }),
        fc.integer({ min: 1, max: 90 }),
        (values, k) => {
          const sorted = [...values].sort((a, b) => b - a);
          const threshold = sorted[Math.min(k, values.length) - 1]!;
          const expected = values.flatMap((v, i) => (v >= threshold ? [i] : []));
          return JSON.stringify(kept(apply(topK(k), values))) === JSON.stringify(expected);
        },
      ),
    );
  });
  it('should reject negative or fractional k', () => {
    expect(() => topK(-1)).toThrow(/`topK` must be an integer in \[0, ∞\), got -1/);
    expect(() => topK(1.5)).toThrow(InvalidArgumentError);
  });
});

describe('topP', () => {
  it('should keep exactly the smallest set whose mass reaches p', () => {
    // probabilities 0.5, 0.3, 0.2 (logits are their logs)
    const logits = [Math.log(0.5), Math.log(0.3), Math.log(0.2)];
    expect(kept(apply(topP(0.5), logits))).toEqual([0]);
    expect(kept(apply(topP(0.51), logits))).toEqual([0, 1]);
    expect(kept(apply(topP(0.8), logits))).toEqual([0, 1]);
    expect(kept(apply(topP(0.81), logits))).toEqual([0, 1, 2]);
    expect(kept(apply(topP(1), logits))).toEqual([0, 1, 2]);
  });
  it('should keep every token tied with the last one kept', () => {
    expect(kept(apply(topP(0.3), [0, 0, 0, -5]))).toEqual([0, 1, 2]);
  });
  it('should satisfy: kept mass ≥ p, and dropping the least likely kept level falls below p', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -8, max: 8 }), { minLength: 1, maxLength: 40 }),
        fc.double({ min: 0.01, max: 0.99, noNaN: true }),
        (values, p) => {
          const probabilities = softmax(Float32Array.from(values));
          const keptIndices = kept(apply(topP(p), values));
          const mass = keptIndices.reduce((sum, i) => sum + probabilities[i]!, 0);
          const lowest = Math.min(...keptIndices.map((i) => probabilities[i]!));
          const above = keptIndices
            .filter((i) => probabilities[i]! > lowest)
            .reduce((sum, i) => sum + probabilities[i]!, 0);
          const everyHigherKept = [...probabilities].every((q, i) => q <= lowest || keptIndices.includes(i));
          return mass >= p - 1e-12 && above < p && everyHigherKept;
        },
      ),
    );
  });
  it('should reject p outside (0, 1]', () => {
    expect(() => topP(0)).toThrow(/`topP` must be a number in \(0, 1\], got 0/);
    expect(() => topP(1.1)).toThrow(InvalidArgumentError);
  });
});

describe('minP', () => {
  it('should drop tokens less likely than p times the top token', () => {
    const logits = [Math.log(0.6), Math.log(0.3), Math.log(0.07), Math.log(0.03)];
    expect(kept(apply(minP(0.1), logits))).toEqual([0, 1, 2]);
    expect(kept(apply(minP(0.45), logits))).toEqual([0, 1]);
  });
});

describe('repetitionPenalty', () => {
  it('should divide positive and multiply negative logits of generated tokens (HF semantics)', () => {
    const context = { generatedIds: [0, 1, 1], promptIds: [2] };
    expect(apply(repetitionPenalty(2), [4, -4, 4, 4], context)).toEqual([2, -8, 4, 4]);
    expect(apply(repetitionPenalty(2, { includePrompt: true }), [4, -4, 4, 4], context)).toEqual([
      2, -8, 2, 4,
    ]);
  });
});

describe('presenceFrequencyPenalty', () => {
  it('should subtract presence once and frequency per occurrence', () => {
    expect(apply(presenceFrequencyPenalty(0.5, 0.25), [1, 1, 1], { generatedIds: [0, 0, 2] })).toEqual([
      0, 1, 0.25,
    ]);
  });
});

describe('logitBias and banTokens', () => {
  it('should add biases and mask banned tokens', () => {
    expect(apply(logitBias({ 1: 2.5 }), [0, 0])).toEqual([0, 2.5]);
    expect(apply(banTokens([0]), [3, 1])).toEqual([Number.NEGATIVE_INFINITY, 1]);
    expect(() => logitBias({ 1: 200 })).toThrow(InvalidArgumentError);
  });
});
