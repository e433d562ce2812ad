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

  it("should give the TypeScript passes' bits from the WebAssembly ones for every row count (four rows at a time, then one)", () => {
    let seed = 7;
    for (let height = 1; height <= 11; height++) {
      const width = 53;
      const data = new Uint8Array(width * height * 3);
      for (let i = 0; i < data.length; i++) {
        seed = (seed * 1103515245 + 12345) >>> 0;
        data[i] = seed >>> 24;
      }
      // Narrower, wider, and both ways: the horizontal pass over 1 … 11 rows.
      for (const [w, h] of [
        [29, height],
        [97, height],
        [31, Math.max(1, height - 3)],
      ] as const) {
        const wasm = resizeBicubicWith({ width, height, data }, w, h, 'wasm');
        const js = resizeBicubicWith({ width, height, data }, w, h, 'js');
        expect(sha256(wasm.data), `${width}×${height} -> ${w}×${h}`).toBe(sha256(js.data));
      }
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
