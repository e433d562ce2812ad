import {
  createTensor,
  DependencyMissingError,
  float32ArrayToFloat16,
  InvalidArgumentError,
  ShapeMismatchError,
  type Tensor,
} from '@ivl/core';
import type { RgbImage } from './rgb-image.js';
import { loadWasmKernels, WasmArena, type WasmKernels } from './wasm/load-kernels.js';

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
  tables: Float32Array,
): void {
  const red = tables.subarray(0, 256);
  const green = tables.subarray(256, 512);
  const blue = tables.subarray(512, 768);
  const g0 = base + plane;
  const b0 = g0 + plane;
  for (let p = 0, source = 0; p < plane; p++, source += 3) {
    values[base + p] = red[data[source]!]!;
    values[g0 + p] = green[data[source + 1]!]!;
    values[b0 + p] = blue[data[source + 2]!]!;
  }
}

/** @internal The lookup tables of both paths: channel c's value for byte v at `c · 256 + v`. */
export function normalizeTables(mean: readonly number[], std: readonly number[]): Float32Array {
  const tables = new Float32Array(768);
  for (let c = 0; c < 3; c++) tables.set(channelTable(mean[c]!, std[c]!), c * 256);
  return tables;
}

function writePlanesWithWasm(
  kernels: WasmKernels,
  data: Uint8Array,
  width: number,
  height: number,
  base: number,
  values: Float32Array,
  tables: Float32Array,
): void {
  const arena = new WasmArena(kernels);
  const source = arena.take(data.length);
  const tableOffset = arena.take(tables.byteLength);
  const target = arena.take(width * height * 12);
  const heap = arena.reserve();
  new Uint8Array(heap, source, data.length).set(data);
  new Float32Array(heap, tableOffset, tables.length).set(tables);
  kernels.normalize(source, width * 3, width, height, tableOffset, target, width * height * 4);
  values.set(new Float32Array(heap, target, width * height * 3), base);
}

/** @internal Checks the options of {@link toPixelValues} and fills in the defaults. */
export function pixelValueSettings(options: PixelValueOptions): {
  mean: readonly number[];
  std: readonly number[];
  dtype: 'float32' | 'float16';
} {
  const { mean = IMAGENET_MEAN, std = IMAGENET_STD, dtype = 'float32' } = options;
  checkChannels('mean', mean, false);
  checkChannels('std', std, true);
  return { mean, std, dtype };
}

/** @internal `pixel_values` of the given dims from float32 values, in the requested dtype. */
export function pixelValuesTensor(
  values: Float32Array,
  dims: readonly number[],
  dtype: 'float32' | 'float16',
): Tensor<'float32'> | Tensor<'float16'> {
  return dtype === 'float16'
    ? createTensor('float16', dims, float32ArrayToFloat16(values))
    : createTensor('float32', dims, values);
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
  const { mean, std, dtype } = pixelValueSettings(options);
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
  const tables = normalizeTables(mean, std);
  const values = new Float32Array(tiles.length * 3 * plane);
  tiles.forEach((tile, index) => {
    if (tile.width !== width || tile.height !== height) {
      throw new ShapeMismatchError({
        message: `Tile ${index} is ${tile.width}×${tile.height}; every tile must be ${width}×${height}.`,
        expectedDims: [height, width],
        actualDims: [tile.height, tile.width],
      });
    }
    if (kernels) writePlanesWithWasm(kernels, tile.data, width, height, index * 3 * plane, values, tables);
    else writePlanes(tile.data, plane, index * 3 * plane, values, tables);
  });
  return pixelValuesTensor(values, [tiles.length, 3, height, width], dtype);
}
