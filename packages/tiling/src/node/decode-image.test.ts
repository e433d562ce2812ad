import { readFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { ImageDecodeError, ImageTooLargeError } from '@ivl/core';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { RgbImage } from '../rgb-image.js';
import { fixturePath, readGolden, sha256 } from '../test-support/fixtures.js';
import { tileImage } from '../tile-image.js';
import { decodeImage } from './decode-image.js';
import { loadImage } from './load-image.js';

// The image's pixels as stored, in a PNG whose EXIF orientation (6) says to turn it a quarter.
function turnedPng(image: RgbImage): Promise<Buffer> {
  return sharp(Buffer.from(image.data), { raw: { width: image.width, height: image.height, channels: 3 } })
    .png()
    .withMetadata({ orientation: 6 })
    .toBuffer();
}

interface DecodeCase {
  file: string;
  mode: string;
  width: number;
  height: number;
  rgbSha256: string;
}

async function expectDecodeError(input: Parameters<typeof decodeImage>[0], message: RegExp) {
  const error = await decodeImage(input).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(ImageDecodeError.isInstance(error)).toBe(true);
  expect((error as Error).message).toMatch(message);
}

describe('decodeImage', () => {
  const { cases } = readGolden<{ cases: DecodeCase[] }>('decode.golden.json');

  it.each(cases.map((c) => [`${c.file} (Pillow mode ${c.mode})`, c] as const))(
    "should equal Pillow's convert('RGB') byte for byte: %s",
    async (_, golden) => {
      const image = await decodeImage(fixturePath(golden.file));
      expect([image.width, image.height]).toEqual([golden.width, golden.height]);
      expect(sha256(image.data)).toBe(golden.rgbSha256);
    },
  );

  it('should decode bytes as well as paths', async () => {
    const bytes = readFileSync(fixturePath('decode-rgb.png'));
    const fromBytes = await decodeImage(new Uint8Array(bytes));
    const fromPath = await decodeImage(fixturePath('decode-rgb.png'));
    expect(fromBytes.data).toEqual(fromPath.data);
  });

  it('should decode AVIF (which Pillow 9 cannot read) to the same size', async () => {
    const source = await decodeImage(fixturePath('decode-rgb.png'));
    const avif = await sharp(Buffer.from(source.data), { raw: { width: 64, height: 48, channels: 3 } })
      .avif({ lossless: true })
      .toBuffer();
    const image = await decodeImage(avif);
    expect([image.width, image.height, image.data.length]).toEqual([64, 48, 64 * 48 * 3]);
  });

  it('should ignore EXIF orientation by default and apply it on request', async () => {
    const source = await decodeImage(fixturePath('decode-rgb.png'));
    const rotated = await turnedPng(source);
    const stored = await decodeImage(rotated);
    expect([stored.width, stored.height]).toEqual([64, 48]);
    expect(stored.data).toEqual(source.data);
    const applied = await decodeImage(rotated, { orientation: 'apply' });
    expect([applied.width, applied.height]).toEqual([48, 64]);
  });

  describe('when the input is bad', () => {
    it('should say a missing file is missing', async () => {
      await expectDecodeError('/nonexistent/photo.jpg', /Image file not found: \/nonexistent\/photo.jpg/);
    });

    it('should reject data that is not an image', async () => {
      await expectDecodeError(
        new TextEncoder().encode('definitely not an image'),
        /Cannot decode image \(buffer of 23 bytes\)/,
      );
      await expectDecodeError(new Uint8Array(0), /Cannot decode image/);
    });

    it('should reject a truncated JPEG and a PNG with a corrupt body', async () => {
      const jpeg = readFileSync(fixturePath('decode-baseline-420.jpg'));
      await expectDecodeError(new Uint8Array(jpeg.subarray(0, jpeg.length >> 1)), /truncated/);
      const png = Buffer.from(readFileSync(fixturePath('decode-rgb.png')));
      png.fill(0x55, 60, 200);
      await expectDecodeError(new Uint8Array(png), /Cannot decode image/);
    });

    it('should refuse a decompression bomb from its header without decoding it', async () => {
      // A real PNG whose IHDR announces 20000×20000 (CRC fixed up): the header alone must refuse it.
      const bomb = Buffer.from(readFileSync(fixturePath('tiny-1x1.png')));
      bomb.writeUInt32BE(20_000, 16);
      bomb.writeUInt32BE(20_000, 20);
      bomb.writeUInt32BE(crc32(bomb.subarray(12, 29)), 29);
      const error = await decodeImage(bomb, { maxPixels: 100_000_000 }).catch((e: unknown) => e);
      expect(ImageTooLargeError.isInstance(error)).toBe(true);
      expect((error as ImageTooLargeError).width).toBe(20_000);
    });

    it('should stop when the signal is already aborted', async () => {
      const controller = new AbortController();
      controller.abort();
      await expect(decodeImage(fixturePath('decode-rgb.png'), { signal: controller.signal })).rejects.toThrow(
        /aborted/,
      );
    });
  });
});

describe('loadImage', () => {
  it('should decode and tile in one call', async () => {
    const tiled = await loadImage(fixturePath('edges-1200x700.png'), { maxTiles: 6 });
    expect(tiled.dims).toEqual([7, 3, 448, 448]);
  });

  it('should give the pixel values of tileImage(decodeImage()), into the buffer it readied while decoding', async () => {
    const file = fixturePath('edges-1200x700.png');
    const reference = tileImage(await decodeImage(file), { maxTiles: 6 });
    const tiled = await loadImage(file, { maxTiles: 6 });
    expect(sha256(tiled.pixelValues.data)).toBe(sha256(reference.pixelValues.data));
    const half = await loadImage(file, { maxTiles: 6, dtype: 'float16' });
    const halfReference = tileImage(await decodeImage(file), { maxTiles: 6, dtype: 'float16' });
    expect(half.pixelValues.dtype).toBe('float16');
    // By hash: a deep equality over 4 M elements takes minutes on a loaded machine.
    expect(sha256(half.pixelValues.data)).toBe(sha256(halfReference.pixelValues.data));
  });

  it('should tile the turned image when the EXIF orientation is applied (the header size turned too)', async () => {
    const rotated = await turnedPng(await decodeImage(fixturePath('edges-1200x700.png')));
    const tiled = await loadImage(rotated, { maxTiles: 6, orientation: 'apply' });
    const reference = tileImage(await decodeImage(rotated, { orientation: 'apply' }), { maxTiles: 6 });
    expect([tiled.grid.columns, tiled.grid.rows]).toEqual([2, 3]);
    expect(sha256(tiled.pixelValues.data)).toBe(sha256(reference.pixelValues.data));
  });

  it('should check the options before decoding anything', async () => {
    await expect(loadImage(fixturePath('edges-1200x700.png'), { maxTiles: 0 })).rejects.toThrow(/maxTiles/);
  });
});
