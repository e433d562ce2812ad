import {
  createTensor,
  float32ArrayToFloat16,
  InvalidArgumentError,
  ShapeMismatchError,
  type Tensor,
} from '@ivl/core';
import type { RgbImage } from './rgb-image.js';

/** ImageNet mean used by InternVL 2.5 (`IMAGENET_MEAN` in the official constants). */
export const IMAGENET_MEAN: readonly [number, number, number] = [0.485, 0.456, 0.406];
/** ImageNet standard deviation used by InternVL 2.5. */
export const IMAGENET_STD: readonly [number, number, number] = [0.229, 0.224, 0.225];

/** Options of {@link toPixelValues}. */
export interface PixelValueOptions {
  /** Per-channel mean. @default IMAGENET_MEAN */
  readonly mean?: readonly number[];
  /** Per-channel standard deviation. @default IMAGENET_STD */
  readonly std?: readonly number[];
  /** Element type of the result; `float16` rounds the float32 values to nearest even. @default 'float32' */
  readonly dtype?: 'float32' | 'float16';
}

// torchvision's ToTensor + Normalize in float32: fround(fround(fround(v / 255) - m) / s).
// Each op on float32 inputs computed in float64 and rounded once equals the float32 op.
function channelTable(mean: number, std: number): Float32Array {
  const m = Math.fround(mean);
  const s = Math.fround(std);
  const table = new Float32Array(256);
  for (let v = 0; v < 256; v++) table[v] = Math.fround(Math.fround(Math.fround(v / 255) - m) / s);
  return table;
}

function checkChannels(argument: string, values: readonly number[], positive: boolean): void {
  if (values.length !== 3 || values.some((v) => !Number.isFinite(v) || (positive && v <= 0))) {
    throw new InvalidArgumentError({
      argument,
      message: `\`${argument}\` must be 3 finite numbers${positive ? ' greater than 0' : ''}, got [${values.join(', ')}].`,
    });
  }
}

/**
 * Turns equally sized RGB tiles into the model input `pixel_values` `[N, 3, H, W]` (NCHW),
 * bit-identical to torchvision's `ToTensor()` + `Normalize(mean, std)` in float32.
 *
 * @throws {ShapeMismatchError} when the tiles differ in size
 */
export function toPixelValues(
  tiles: readonly RgbImage[],
  options: PixelValueOptions = {},
): Tensor<'float32'> | Tensor<'float16'> {
  const { mean = IMAGENET_MEAN, std = IMAGENET_STD, dtype = 'float32' } = options;
  checkChannels('mean', mean, false);
  checkChannels('std', std, true);
  if (tiles.length === 0) {
    throw new InvalidArgumentError({ argument: 'tiles', message: 'At least one tile is needed, got none.' });
  }
  const { width, height } = tiles[0]!;
  const plane = width * height;
  const tables = [0, 1, 2].map((c) => channelTable(mean[c]!, std[c]!));
  const values = new Float32Array(tiles.length * 3 * plane);
  tiles.forEach((tile, index) => {
    if (tile.width !== width || tile.height !== height) {
      throw new ShapeMismatchError({
        message: `Tile ${index} is ${tile.width}×${tile.height}; every tile must be ${width}×${height}.`,
        expectedDims: [height, width],
        actualDims: [tile.height, tile.width],
      });
    }
    for (let c = 0; c < 3; c++) {
      const table = tables[c]!;
      const base = (index * 3 + c) * plane;
      const data = tile.data;
      for (let p = 0, source = c; p < plane; p++, source += 3) values[base + p] = table[data[source]!]!;
    }
  });
  const dims = [tiles.length, 3, height, width];
  return dtype === 'float16'
    ? createTensor('float16', dims, float32ArrayToFloat16(values))
    : createTensor('float32', dims, values);
}
