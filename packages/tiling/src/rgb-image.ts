import { ImageTooLargeError, InvalidArgumentError, ShapeMismatchError } from '@ivl/core';

/** An 8-bit RGB image, pixels row-major and interleaved (`r, g, b, r, g, b, ...`). */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/**
 * Pillow's `Image.MAX_IMAGE_PIXELS * 2`: the size at which Pillow refuses to open an image
 * (DecompressionBombError). Used as the default `maxPixels`.
 */
export const DEFAULT_MAX_PIXELS = 178_956_970;

/**
 * Checks that `width`/`height` are positive integers within `maxPixels`.
 * @throws {InvalidArgumentError} for zero, negative or fractional sizes
 * @throws {ImageTooLargeError} when `width × height` exceeds `maxPixels`
 */
export function assertImageSize(width: number, height: number, maxPixels = DEFAULT_MAX_PIXELS): void {
  for (const [argument, value] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) {
      throw new InvalidArgumentError({
        argument,
        message: `Image ${argument} must be a positive integer, got ${value}.`,
      });
    }
  }
  if (width * height > maxPixels) throw new ImageTooLargeError({ width, height, limitPixels: maxPixels });
}

/**
 * Wraps interleaved pixel data as an {@link RgbImage}, dropping alpha when `channels` is 4
 * (as Pillow's `convert('RGB')` does: the colour of transparent pixels is kept, not composited).
 *
 * @param channels - 3 for RGB, 4 for RGBA
 * @throws {ShapeMismatchError} when `data.length` is not `width × height × channels`
 */
export function createRgbImage(
  data: Uint8Array | Uint8ClampedArray,
  width: number,
  height: number,
  { channels = 3, maxPixels = DEFAULT_MAX_PIXELS }: { channels?: 3 | 4; maxPixels?: number } = {},
): RgbImage {
  assertImageSize(width, height, maxPixels);
  const expected = width * height * channels;
  if (data.length !== expected) {
    throw new ShapeMismatchError({
      message:
        `Pixel buffer has ${data.length} bytes but a ${width}×${height} image with ${channels} channels ` +
        `needs ${expected}. Check the width, height and channel count.`,
      expectedDims: [height, width, channels],
      actualDims: [data.length],
    });
  }
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.length);
  if (channels === 3) return { width, height, data: bytes };
  const rgb = new Uint8Array(width * height * 3);
  for (let source = 0, target = 0; source < bytes.length; source += 4, target += 3) {
    rgb[target] = bytes[source]!;
    rgb[target + 1] = bytes[source + 1]!;
    rgb[target + 2] = bytes[source + 2]!;
  }
  return { width, height, data: rgb };
}
