import { InvalidArgumentError } from '@ivl/core';
import type { TileRect } from './plan-tiles.js';
import type { RgbImage } from './rgb-image.js';

/**
 * Copies the pixels of `rect` out of `image` (Pillow's `crop` inside the image bounds).
 * @throws {InvalidArgumentError} when the rectangle is not inside the image
 */
export function cropImage(image: RgbImage, rect: TileRect): RgbImage {
  const { x, y, width, height } = rect;
  const inside =
    [x, y, width, height].every(Number.isInteger) &&
    x >= 0 &&
    y >= 0 &&
    width > 0 &&
    height > 0 &&
    x + width <= image.width &&
    y + height <= image.height;
  if (!inside) {
    throw new InvalidArgumentError({
      argument: 'rect',
      message:
        `Crop rectangle (${x}, ${y}, ${width}×${height}) must lie inside the ${image.width}×${image.height} ` +
        'image with integer coordinates.',
    });
  }
  const rowBytes = width * 3;
  const out = new Uint8Array(rowBytes * height);
  for (let row = 0; row < height; row++) {
    const start = ((y + row) * image.width + x) * 3;
    out.set(image.data.subarray(start, start + rowBytes), row * rowBytes);
  }
  return { width, height, data: out };
}
