import { InvalidArgumentError } from '@ivl/core';
import { afterAll, describe, expect, it } from 'vitest';
import { resizeBicubicWith } from '../resize-bicubic.js';
import type { RgbImage } from '../rgb-image.js';
import { sha256 } from '../test-support/fixtures.js';
import { tileImage } from '../tile-image.js';
import { helpedTasks, tilingThreads } from './kernel-threads.js';

// A photo-like mix of gradients, edges and noise, so that every tap of the filters matters.
function syntheticImage(width: number, height: number, seed: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  let state = seed;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      state = (state * 1103515245 + 12345) >>> 0;
      const i = (y * width + x) * 3;
      data[i] = ((x * 255) / width + (state >>> 27)) & 255;
      data[i + 1] = (((y * 255) / height) ^ ((x >> 4) & 1 ? 96 : 0)) & 255;
      data[i + 2] = (state >>> 24) & 255;
    }
  }
  return { width, height, data };
}

// Sizes that cut into bands unevenly, a row narrower than one 16-byte vector, and no thumbnail.
const CASES: [number, number, number][] = [
  [1920, 1080, 12],
  [1001, 333, 12],
  [61, 700, 6],
  [5, 900, 12],
  [3000, 17, 12],
  [500, 500, 1],
];

const initial = tilingThreads();
afterAll(() => {
  tilingThreads(initial);
});

describe('tilingThreads', () => {
  it('should give the same bits with helper threads as on the calling thread alone', async () => {
    tilingThreads(1);
    const alone = CASES.map(([w, h, maxTiles], i) => {
      const image = syntheticImage(w, h, i + 1);
      return {
        image,
        maxTiles,
        pixelValues: sha256(tileImage(image, { maxTiles }).pixelValues.data),
        resized: sha256(resizeBicubicWith(image, 301, 449, 'wasm').data),
      };
    });
    tilingThreads(2);
    // The helper starts on first use, and takes tasks once it is up: tile until it has.
    const started = helpedTasks();
    const deadline = performance.now() + 20_000;
    for (;;) {
      for (const { image, maxTiles, pixelValues, resized } of alone) {
        expect(sha256(tileImage(image, { maxTiles }).pixelValues.data)).toBe(pixelValues);
        expect(sha256(resizeBicubicWith(image, 301, 449, 'wasm').data)).toBe(resized);
      }
      if (helpedTasks() > started + 50 || performance.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(helpedTasks()).toBeGreaterThan(started + 50);
  }, 60_000);

  it('should refuse a thread count that is not an integer from 1 to 64', () => {
    for (const count of [0, 1.5, 65, Number.NaN]) {
      expect(() => tilingThreads(count)).toThrow(InvalidArgumentError);
    }
    expect(tilingThreads(3)).toBe(3);
    expect(tilingThreads()).toBe(3);
  });
});
