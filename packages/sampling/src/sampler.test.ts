import { InvalidArgumentError } from '@ivl/core';
import { describe, expect, it } from 'vitest';
import { fromGenerationConfig } from './generation-config.js';
import { createRng } from './rng.js';
import { createSampler } from './sampler.js';
import { greedyToken, sampleToken } from './select-token.js';

describe('createRng', () => {
  it('should give the pinned xoshiro128** sequence for a seed (identical on every platform)', () => {
    const rng = createRng(42);
    const values = Array.from({ length: 4 }, () => rng.next());
    // Pinned: any change to the generator changes every seeded answer, so it must be deliberate.
    expect(values.map((v) => v.toFixed(15))).toMatchInlineSnapshot(`
      [
        "0.660615720800162",
        "0.111701963953222",
        "0.079105645614491",
        "0.015209237180418",
      ]
    `);
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
  });
  it('should look uniform', () => {
    const rng = createRng(7);
    const n = 100_000;
    const buckets = new Array(10).fill(0);
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const v = rng.next();
      sum += v;
      buckets[Math.floor(v * 10)]++;
    }
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(0.005);
    const chiSquare = buckets.reduce((acc, count) => acc + (count - n / 10) ** 2 / (n / 10), 0);
    expect(chiSquare).toBeLessThan(27.9); // p = 0.001 for 9 degrees of freedom
  });
});

describe('greedyToken', () => {
  it('should take the first maximal index, as torch.argmax', () => {
    expect(greedyToken(Float32Array.from([1, 3, 3, 2]))).toBe(1);
  });
  it('should reject NaN, +Infinity and all-masked logits', () => {
    expect(() => greedyToken(Float32Array.from([1, Number.NaN]))).toThrow(/Logit 1 is NaN/);
    expect(() => greedyToken(Float32Array.from([Number.POSITIVE_INFINITY]))).toThrow(InvalidArgumentError);
    expect(() => greedyToken(Float32Array.from([Number.NEGATIVE_INFINITY]))).toThrow(
      /All 1 logits are -Infinity/,
    );
  });
});

describe('sampleToken', () => {
  it('should draw tokens with their softmax frequencies', () => {
    const probabilities = [0.5, 0.25, 0.15, 0.1];
    const logits = Float32Array.from(probabilities.map(Math.log));
    const rng = createRng(123);
    const n = 40_000;
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < n; i++) counts[sampleToken(logits, rng)]!++;
    const chiSquare = counts.reduce(
      (acc, c, i) => acc + (c - n * probabilities[i]!) ** 2 / (n * probabilities[i]!),
      0,
    );
    expect(chiSquare).toBeLessThan(16.3); // p = 0.001 for 3 degrees of freedom
  });
  it('should never draw a masked token', () => {
    const rng = createRng(1);
    const logits = Float32Array.from([Number.NEGATIVE_INFINITY, 0, Number.NEGATIVE_INFINITY]);
    for (let i = 0; i < 1000; i++) expect(sampleToken(logits, rng)).toBe(1);
  });
});

describe('createSampler', () => {
  const logits = () => Float32Array.from([0.1, 2, 1.9, -1, 0.5]);

  it('should be greedy when doSample is false, whatever the temperature', () => {
    const sampler = createSampler({ doSample: false, temperature: 5, topK: 1 });
    expect(sampler.sampling).toBe(false);
    expect(sampler.next(logits(), { generatedIds: [] })).toBe(1);
  });

  it('should treat temperature 0 with doSample as greedy', () => {
    expect(createSampler({ doSample: true, temperature: 0 }).sampling).toBe(false);
  });

  it('should give the same tokens for the same seed and different ones for another seed', () => {
    const draw = (seed: number) => {
      const sampler = createSampler({ doSample: true, temperature: 1.5, topK: 0, seed });
      return Array.from({ length: 50 }, () => sampler.next(logits(), { generatedIds: [] }));
    };
    expect(draw(5)).toEqual(draw(5));
    expect(draw(5)).not.toEqual(draw(6));
  });

  it('should apply the repetition penalty before the greedy choice', () => {
    const sampler = createSampler({ repetitionPenalty: 1.2 });
    expect(sampler.next(logits(), { generatedIds: [1] })).toBe(2);
  });

  it('should restrict samples to the top-k set', () => {
    const sampler = createSampler({ doSample: true, topK: 2, seed: 3 });
    const seen = new Set(Array.from({ length: 300 }, () => sampler.next(logits(), { generatedIds: [] })));
    expect([...seen].sort()).toEqual([1, 2]);
  });

  it.each([
    [{ temperature: -0.1 }, 'temperature'],
    [{ topP: 0 }, 'topP'],
    [{ topK: -2 }, 'topK'],
    [{ minP: 2 }, 'minP'],
    [{ repetitionPenalty: 0 }, 'repetitionPenalty'],
    [{ seed: -1 }, 'seed'],
  ])('should reject %o with a typed error', (options, argument) => {
    try {
      createSampler(options);
      expect.unreachable();
    } catch (error) {
      expect(InvalidArgumentError.isInstance(error)).toBe(true);
      expect((error as InvalidArgumentError).argument).toBe(argument);
    }
  });
});

describe('fromGenerationConfig', () => {
  it('should map HF fields and keep HF meanings', () => {
    const defaults = fromGenerationConfig({
      do_sample: true,
      temperature: 0.7,
      top_p: 0.95,
      repetition_penalty: 1.1,
      max_new_tokens: 2048,
      eos_token_id: [151644, 151645, 151643],
    });
    expect(defaults.sampling).toEqual({
      doSample: true,
      temperature: 0.7,
      topP: 0.95,
      repetitionPenalty: 1.1,
    });
    expect(defaults.maxNewTokens).toBe(2048);
    expect(defaults.eosTokenIds).toEqual([151644, 151645, 151643]);
    expect(createSampler(defaults.sampling).sampling).toBe(true);
  });
  it('should let explicit options override the file, and default to greedy', () => {
    expect(createSampler(fromGenerationConfig({ temperature: 0.3 }).sampling).sampling).toBe(false);
    expect(fromGenerationConfig({ do_sample: true }, { doSample: false }).sampling.doSample).toBe(false);
    expect(fromGenerationConfig({ eos_token_id: 2 }).eosTokenIds).toEqual([2]);
  });
});
