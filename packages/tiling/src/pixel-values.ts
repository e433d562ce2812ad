import {
  createTensor,
  DependencyMissingError,
  float32ArrayToFloat16,
  InvalidArgumentError,
  ShapeMismatchError,
  type Tensor,
} from '@ivl/core';
import type { RgbImage } from './rgb-image.js';
import { loadWasmKernels, reserveWasmMemory, type WasmKernels } from './wasm/load-kernels.js';

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

// One pass over the interleaved tile writes all three planes, reading each source byte once.
function writePlanes(
  data: Uint8Array,
  plane: number,
  base: number,
  values: Float32Array,
  tables: Float32Array[],
): void {
  const [red, green, blue] = tables as [Float32Array, Float32Array, Float32Array];
  const g0 = base + plane;
  const b0 = g0 + plane;
  for (let p = 0, source = 0; p < plane; p++, source += 3) {
    values[base + p] = red[data[source]!]!;
    values[g0 + p] = green[data[source + 1]!]!;
    values[b0 + p] = blue[data[source + 2]!]!;
  }
}

function writePlanesWithWasm(
  kernels: WasmKernels,
  data: Uint8Array,
  plane: number,
  base: number,
  values: Float32Array,
  mean: readonly number[],
  std: readonly number[],
): void {
  const target = (data.length + 31) & ~15;
  const heap = reserveWasmMemory(kernels, target + plane * 12);
  new Uint8Array(heap, 0, data.length).set(data);
  kernels.normalize(0, plane, target, mean[0]!, mean[1]!, mean[2]!, std[0]!, std[1]!, std[2]!);
  values.set(new Float32Array(heap, target, plane * 3), base);
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
  return toPixelValuesWith(tiles, options, 'auto');
}

/** @internal `auto` uses the WebAssembly SIMD kernel where available; both paths give the same bits. */
export function toPixelValuesWith(
  tiles: readonly RgbImage[],
  options: PixelValueOptions,
  implementation: 'auto' | 'wasm' | 'js',
): Tensor<'float32'> | Tensor<'float16'> {
  const { mean = IMAGENET_MEAN, std = IMAGENET_STD, dtype = 'float32' } = options;
  checkChannels('mean', mean, false);
  checkChannels('std', std, true);
  if (tiles.length === 0) {
    throw new InvalidArgumentError({ argument: 'tiles', message: 'At least one tile is needed, got none.' });
  }
  const { width, height } = tiles[0]!;
  const plane = width * height;
  const kernels = implementation === 'js' ? null : loadWasmKernels();
  if (implementation === 'wasm' && !kernels)
    throw new DependencyMissingError({
      dependency: 'WebAssembly SIMD',
      message: "WebAssembly SIMD is not available here; use implementation 'js' (or 'auto').",
    });
  const tables = kernels ? [] : [0, 1, 2].map((c) => channelTable(mean[c]!, std[c]!));
  const values = new Float32Array(tiles.length * 3 * plane);
  tiles.forEach((tile, index) => {
    if (tile.width !== width || tile.height !== height) {
      throw new ShapeMismatchError({
        message: `Tile ${index} is ${tile.width}×${tile.height}; every tile must be ${width}×${height}.`,
        expectedDims: [height, width],
        actualDims: [tile.height, tile.width],
      });
    }
    if (kernels) writePlanesWithWasm(kernels, tile.data, plane, index * 3 * plane, values, mean, std);
    else writePlanes(tile.data, plane, index * 3 * plane, values, tables);
  });
  const dims = [tiles.length, 3, height, width];
  return dtype === 'float16'
    ? createTensor('float16', dims, float32ArrayToFloat16(values))
    : createTensor('float32', dims, values);
}
