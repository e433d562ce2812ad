import { fileURLToPath } from 'node:url';
import { findChromium, runInChromium } from '@ivl/browser-test';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixturePath, readGolden } from '../test-support/fixtures.js';

interface BrowserResult {
  decoded: Record<string, { width: number; height: number; sha256: string }>;
  tiled: { dims: number[]; tileSha256: string[]; pixelValuesSha256: string };
  imageData: number[];
  corruptError?: string;
  tooLargeError?: string;
}

const names = [
  'decode-rgb.png',
  'decode-rgba.png',
  'decode-la.png',
  'decode-grey.png',
  'decode-palette.png',
  'decode-lossless.webp',
  'decode-baseline-420.jpg',
  'decode-progressive-444.jpg',
  'edges-1200x700.png',
];

describe.runIf(findChromium() !== undefined || process.env.CI)('@ivl/tiling/web in headless Chromium', () => {
  let result: BrowserResult;
  beforeAll(async () => {
    result = await runInChromium<BrowserResult>({
      entry: fileURLToPath(new URL('./decode-image.browser.ts', import.meta.url)),
      files: Object.fromEntries(names.map((name) => [name, fixturePath(name)])),
    });
  }, 180_000);

  const decodeGolden = readGolden<{
    cases: { file: string; width: number; height: number; rgbSha256: string }[];
  }>('decode.golden.json');

  // Chromium's libjpeg-turbo (ISLOW, fancy upsampling) matched Pillow on these JPEGs as well.
  it.each(names.filter((name) => name.startsWith('decode-')))(
    "should decode %s to exactly Pillow's RGB (alpha dropped, not premultiplied)",
    (name) => {
      const golden = decodeGolden.cases.find((c) => c.file === name)!;
      expect(result.decoded[name]).toEqual({
        width: golden.width,
        height: golden.height,
        sha256: golden.rgbSha256,
      });
    },
  );

  it('should tile a PNG in the browser exactly as the official Pillow pipeline', () => {
    const golden = readGolden<{
      cases: { image: string; maxTiles: number; tileSha256: string[]; pixelValuesSha256: string }[];
    }>('tiles.golden.json').cases.find((c) => c.image === 'edges-1200x700.png' && c.maxTiles === 12)!;
    expect(result.tiled.dims).toEqual([7, 3, 448, 448]);
    expect(result.tiled.tileSha256).toEqual(golden.tileSha256);
    expect(result.tiled.pixelValuesSha256).toBe(golden.pixelValuesSha256);
  });

  it('should take ImageData and give typed errors for corrupt and too-large input', () => {
    expect(result.imageData).toEqual([1, 2, 3, 4, 5, 6]);
    expect(result.corruptError).toMatch(
      /^ImageDecodeError: Cannot decode image Blob \(image\/png, 3 bytes\)/,
    );
    expect(result.tooLargeError).toMatch(
      /^ImageTooLargeError: Image of 64×48 = 3072 pixels exceeds the limit of 100/,
    );
  });
});
