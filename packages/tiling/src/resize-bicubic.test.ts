import { describe, expect, it } from 'vitest';
import { decodeImage } from './node/decode-image.js';
import { resizeBicubic, resizeBicubicWith } from './resize-bicubic.js';
import { fixturePath, readGolden, sha256 } from './test-support/fixtures.js';

interface ResizeCase {
  image: string;
  width: number;
  height: number;
  rgbBase64?: string;
  rgbSha256?: string;
}

describe('resizeBicubic', () => {
  const { cases } = readGolden<{ cases: ResizeCase[] }>('resize.golden.json');

  const runs = (['wasm', 'js'] as const).flatMap((implementation) =>
    cases.map((c) => [`${implementation}: ${c.image} -> ${c.width}×${c.height}`, implementation, c] as const),
  );

  it.each(runs)('should equal Pillow bit for bit (%s)', async (_, implementation, golden) => {
    const source = await decodeImage(fixturePath(golden.image));
    const resized = resizeBicubicWith(source, golden.width, golden.height, implementation);
    expect([resized.width, resized.height]).toEqual([golden.width, golden.height]);
    if (golden.rgbBase64 !== undefined) {
      // Compared as arrays so a failure shows the first differing bytes.
      expect(Array.from(resized.data)).toEqual(Array.from(Buffer.from(golden.rgbBase64, 'base64')));
    } else {
      expect(sha256(resized.data)).toBe(golden.rgbSha256);
    }
  });

  it('should return an equal copy when the size is unchanged', () => {
    const image = { width: 2, height: 1, data: Uint8Array.from([1, 2, 3, 4, 5, 6]) };
    const same = resizeBicubic(image, 2, 1);
    expect(same.data).toEqual(image.data);
    expect(same.data).not.toBe(image.data);
  });

  it('should reject a non-positive target size', () => {
    const image = { width: 1, height: 1, data: new Uint8Array(3) };
    expect(() => resizeBicubic(image, 0, 5)).toThrow(/width must be a positive integer/);
  });
});
