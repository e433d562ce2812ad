import { float16BitsToFloat32, ImageTooLargeError, InvalidArgumentError } from '@ivl/core';
import { describe, expect, it } from 'vitest';
import { cropImage } from './crop-image.js';
import { decodeImage } from './node/decode-image.js';
import { IMAGENET_MEAN, IMAGENET_STD, toPixelValues, toPixelValuesWith } from './pixel-values.js';
import { planTiles } from './plan-tiles.js';
import { resizeBicubicWith } from './resize-bicubic.js';
import { createRgbImage } from './rgb-image.js';
import { fixturePath, readGolden, sha256 } from './test-support/fixtures.js';
import { tileImage } from './tile-image.js';
import { splitTileBudget, tileImages } from './tile-images.js';

interface TileCase {
  image: string;
  maxTiles: number;
  columns: number;
  rows: number;
  numTiles: number;
  tileSha256: string[];
  pixelValuesSha256: string;
  pixelValuesHead: number[][];
}

describe('tileImage', () => {
  const { cases } = readGolden<{ cases: TileCase[] }>('tiles.golden.json');

  it.each(cases.map((c) => [`${c.image} maxTiles=${c.maxTiles}`, c] as const))(
    'should equal the official Pillow pipeline exactly: %s',
    async (_, golden) => {
      const tiled = tileImage(await decodeImage(fixturePath(golden.image)), { maxTiles: golden.maxTiles });
      expect([tiled.grid.columns, tiled.grid.rows, tiled.numTiles]).toEqual([
        golden.columns,
        golden.rows,
        golden.numTiles,
      ]);
      expect(tiled.dims).toEqual([golden.numTiles, 3, 448, 448]);
      expect(tiled.tiles.map((tile) => sha256(tile.data))).toEqual(golden.tileSha256);
      const plane = 3 * 448 * 448;
      const heads = golden.pixelValuesHead.map((_, t) =>
        Array.from(tiled.pixelValues.data.subarray(t * plane, t * plane + 8)),
      );
      expect(heads).toEqual(golden.pixelValuesHead);
      expect(sha256(tiled.pixelValues.data)).toBe(golden.pixelValuesSha256);
    },
  );

  it('should give float16 values that are the float32 values rounded to nearest even', async () => {
    const image = await decodeImage(fixturePath('gradient-37x23.png'));
    const single = tileImage(image, { maxTiles: 1 });
    const half = tileImage(image, { maxTiles: 1, dtype: 'float16' });
    expect(half.pixelValues.dtype).toBe('float16');
    const f32 = single.pixelValues.data as Float32Array;
    const f16 = half.pixelValues.data as Uint16Array;
    for (let i = 0; i < f32.length; i += 997) {
      expect(Math.abs(float16BitsToFloat32(f16[i]!) - f32[i]!)).toBeLessThanOrEqual(
        Math.abs(f32[i]!) * 2 ** -11 + 1e-7,
      );
    }
  });

  it('should refuse an image over maxPixels with the size and limit', () => {
    const image = createRgbImage(new Uint8Array(30 * 20 * 3), 30, 20);
    expect(() => tileImage(image, { maxPixels: 500 })).toThrow(ImageTooLargeError);
  });

  it('should refuse a buffer whose length does not match the size', () => {
    expect(() => tileImage({ width: 4, height: 4, data: new Uint8Array(47) })).toThrow(InvalidArgumentError);
    expect(() => createRgbImage(new Uint8Array(47), 4, 4)).toThrow(
      /47 bytes but a 4×4 image with 3 channels needs 48/,
    );
  });

  it('should compute pixel values in one pass through the WebAssembly memory equal to cutting tiles and normalizing them in TypeScript', () => {
    // Sizes with odd tap counts, down- and upscaling, a thumbnail and none, custom statistics.
    const cases = [
      { width: 1001, height: 333, options: { maxTiles: 12 } },
      { width: 61, height: 700, options: { maxTiles: 6, mean: [0.5, 0.25, 0.125], std: [0.3, 0.7, 1.1] } },
      { width: 500, height: 500, options: { maxTiles: 1 } },
    ];
    let seed = 11;
    for (const { width, height, options } of cases) {
      const data = new Uint8Array(width * height * 3);
      for (let i = 0; i < data.length; i++) {
        seed = (seed * 1103515245 + 12345) >>> 0;
        data[i] = (seed >>> 24) ^ (i % 251);
      }
      const tiled = tileImage({ width, height, data }, options);
      const plan = planTiles(width, height, options);
      const resized = resizeBicubicWith(
        { width, height, data },
        plan.resizedWidthPx,
        plan.resizedHeightPx,
        'js',
      );
      const tiles = plan.tiles.map((rect) => cropImage(resized, rect));
      if (plan.thumbnail) tiles.push(resizeBicubicWith({ width, height, data }, 448, 448, 'js'));
      const reference = toPixelValuesWith(tiles, options, 'js');
      expect(tiled.dims).toEqual(reference.dims);
      expect(sha256(tiled.pixelValues.data)).toBe(sha256(reference.data));
      // The tile images are cut when first read, the same each time.
      expect(tiled.tiles.map((tile) => sha256(tile.data))).toEqual(tiles.map((tile) => sha256(tile.data)));
      expect(tiled.tiles).toBe(tiled.tiles);
    }
  });

  it('should drop alpha without compositing when wrapping RGBA', () => {
    const image = createRgbImage(Uint8Array.from([10, 20, 30, 0, 40, 50, 60, 255]), 2, 1, { channels: 4 });
    expect(Array.from(image.data)).toEqual([10, 20, 30, 40, 50, 60]);
  });
});

describe('toPixelValues', () => {
  it('should compute fround(fround(fround(v/255) - mean) / std) per channel in NCHW order', () => {
    const tile = { width: 2, height: 1, data: Uint8Array.from([0, 128, 255, 1, 2, 3]) };
    const values = toPixelValues([tile]).data;
    const expected = (v: number, c: number) =>
      Math.fround(
        Math.fround(Math.fround(v / 255) - Math.fround(IMAGENET_MEAN[c]!)) / Math.fround(IMAGENET_STD[c]!),
      );
    expect(Array.from(values)).toEqual([
      expected(0, 0),
      expected(1, 0),
      expected(128, 1),
      expected(2, 1),
      expected(255, 2),
      expected(3, 2),
    ]);
  });

  it('should give the same bits from the WebAssembly and the TypeScript kernels, odd sizes included', () => {
    let seed = 7;
    const tiles = [1, 2].map(() => {
      const data = new Uint8Array(37 * 23 * 3);
      for (let i = 0; i < data.length; i++) {
        seed = (seed * 1103515245 + 12345) >>> 0;
        data[i] = seed >>> 24;
      }
      return { width: 37, height: 23, data };
    });
    for (const options of [{}, { mean: [0.5, 0.25, 0.125], std: [0.3, 0.7, 1.1] }]) {
      const wasm = toPixelValuesWith(tiles, options, 'wasm').data;
      const js = toPixelValuesWith(tiles, options, 'js').data;
      expect(sha256(wasm)).toBe(sha256(js));
    }
  });

  it('should refuse tiles of different sizes and bad statistics', () => {
    const a = { width: 1, height: 1, data: new Uint8Array(3) };
    const b = { width: 2, height: 1, data: new Uint8Array(6) };
    expect(() => toPixelValues([a, b])).toThrow(/Tile 1 is 2×1; every tile must be 1×1/);
    expect(() => toPixelValues([a], { std: [0, 1, 1] })).toThrow(
      /`std` must be 3 finite numbers greater than 0/,
    );
  });
});

describe('tileImages', () => {
  it('should split the tile budget across images and concatenate pixel values in order', async () => {
    const a = await decodeImage(fixturePath('edges-1200x700.png'));
    const b = await decodeImage(fixturePath('tall-90x1000.png'));
    expect(splitTileBudget(12, 2)).toBe(6);
    expect(splitTileBudget(12, 24)).toBe(1);
    const both = tileImages([a, b], { maxTiles: 12 });
    const alone = [tileImage(a, { maxTiles: 6 }), tileImage(b, { maxTiles: 6 })];
    expect(both.numTilesList).toEqual(alone.map((t) => t.numTiles));
    expect(both.pixelValues.dims).toEqual([alone[0]!.numTiles + alone[1]!.numTiles, 3, 448, 448]);
    const split = alone[0]!.pixelValues.data.length;
    expect(sha256(both.pixelValues.data.subarray(0, split))).toBe(sha256(alone[0]!.pixelValues.data));
    expect(sha256(both.pixelValues.data.subarray(split))).toBe(sha256(alone[1]!.pixelValues.data));
    expect(tileImages([a, b], { maxTiles: 12, budget: 'each' }).numTilesList[0]).toBe(tileImage(a).numTiles);
  });
});
