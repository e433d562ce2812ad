import { DependencyMissingError } from '@ivl/core';
import { assertImageSize, type RgbImage } from './rgb-image.js';
import { KernelTasks, PHASES } from './wasm/kernel-tasks.js';
import { runKernelTasks } from './wasm/kernel-threads.js';
import { loadWasmKernels, WasmArena, type WasmKernels } from './wasm/load-kernels.js';

// Pillow keeps 22 fractional bits in its 8-bit resampling coefficients (32 - 8 - 2).
const PRECISION_BITS = 22;
const ONE = 1 << PRECISION_BITS;
const HALF = 1 << (PRECISION_BITS - 1);
const CLIP_HIGH = 1 << (PRECISION_BITS + 8);

interface Coefficients {
  /** Per output index: first source index, then number of taps. */
  readonly bounds: Int32Array;
  /** `outSize × taps` fixed-point weights. */
  readonly weights: Int32Array;
  readonly taps: number;
}

/** @internal A Pillow resampling filter: its kernel and support (in source pixels at scale 1). */
export interface ResampleFilter {
  readonly support: number;
  readonly kernel: (x: number) => number;
}

/** @internal Pillow's bicubic kernel, a = -0.5. */
export const BICUBIC: ResampleFilter = {
  support: 2,
  kernel(x) {
    const a = -0.5;
    if (x < 0) x = -x;
    if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
    if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
    return 0;
  },
};

/** @internal Pillow's bilinear (triangle) kernel. */
export const BILINEAR: ResampleFilter = {
  support: 1,
  kernel(x) {
    if (x < 0) x = -x;
    return x < 1 ? 1 - x : 0;
  },
};

// Mirrors Pillow's precompute_coeffs + normalize_coeffs_8bpc operation for operation, so that
// every float64 rounding step happens in the same order.
function precomputeCoefficients(inSize: number, outSize: number, filter: ResampleFilter): Coefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filter.support * filterScale;
  const taps = Math.ceil(support) * 2 + 1;
  const inverseScale = 1 / filterScale;
  const bounds = new Int32Array(outSize * 2);
  const weights = new Int32Array(outSize * taps);
  const kernel = new Float64Array(taps);

  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let sum = 0;
    for (let x = 0; x < xmax; x++) {
      const w = filter.kernel((x + xmin - center + 0.5) * inverseScale);
      kernel[x] = w;
      sum += w;
    }
    for (let x = 0; x < xmax; x++) {
      let w = kernel[x]!;
      if (sum !== 0) w /= sum;
      weights[xx * taps + x] = w < 0 ? Math.trunc(-0.5 + w * ONE) : Math.trunc(0.5 + w * ONE);
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { bounds, weights, taps };
}

function clip8(value: number): number {
  if (value >= CLIP_HIGH) return 255;
  if (value <= 0) return 0;
  return value >> PRECISION_BITS;
}

// Accumulators are int32 as in Pillow: |pixel·weight| sums stay below 2^31 for normalized kernels,
// and integer multiplies are what lets the JIT keep this loop tight.
function resampleHorizontal(
  source: Uint8Array,
  sourceWidth: number,
  firstRow: number,
  rowCount: number,
  outWidth: number,
  { bounds, weights, taps }: Coefficients,
): Uint8Array {
  const out = new Uint8Array(outWidth * rowCount * 3);
  for (let y = 0; y < rowCount; y++) {
    const rowStart = (y + firstRow) * sourceWidth * 3;
    let target = y * outWidth * 3;
    for (let xx = 0; xx < outWidth; xx++) {
      const count = bounds[xx * 2 + 1]! | 0;
      const kernelStart = xx * taps;
      let pixel = (rowStart + bounds[xx * 2]! * 3) | 0;
      let r = HALF;
      let g = HALF;
      let b = HALF;
      for (let x = 0; x < count; x++, pixel += 3) {
        const k = weights[kernelStart + x]! | 0;
        r = (r + Math.imul(source[pixel]!, k)) | 0;
        g = (g + Math.imul(source[pixel + 1]!, k)) | 0;
        b = (b + Math.imul(source[pixel + 2]!, k)) | 0;
      }
      out[target++] = clip8(r);
      out[target++] = clip8(g);
      out[target++] = clip8(b);
    }
  }
  return out;
}

function resampleVertical(
  source: Uint8Array,
  width: number,
  rowOffset: number,
  outHeight: number,
  { bounds, weights, taps }: Coefficients,
): Uint8Array {
  const rowBytes = width * 3;
  const out = new Uint8Array(rowBytes * outHeight);
  // One accumulator row, filled source row by source row, keeps memory access sequential.
  const accumulator = new Int32Array(rowBytes);
  for (let yy = 0; yy < outHeight; yy++) {
    accumulator.fill(HALF);
    const first = bounds[yy * 2]! - rowOffset;
    const count = bounds[yy * 2 + 1]!;
    for (let y = 0; y < count; y++) {
      const k = weights[yy * taps + y]!;
      const rowStart = (first + y) * rowBytes;
      for (let i = 0; i < rowBytes; i++) {
        accumulator[i] = (accumulator[i]! + Math.imul(source[rowStart + i]!, k)) | 0;
      }
    }
    const target = yy * rowBytes;
    for (let i = 0; i < rowBytes; i++) out[target + i] = clip8(accumulator[i]!);
  }
  return out;
}

/**
 * The horizontal weights as the wasm kernel takes them: per output pixel, for each pair of taps,
 * i16 lanes `[h0 h1 h0 h1 h0 h1 0 0]` then `[l0 l1 l0 l1 l0 l1 0 0]` with w = h·2^8 + l (an odd
 * last tap paired with 0), so one `i32x4.dot_i16x8_s` sums two taps of R, G and B.
 */
function pairWeights({ bounds, weights, taps }: Coefficients): { data: Int16Array; stride: number } {
  const pairs = (taps + 1) >> 1;
  const outSize = bounds.length / 2;
  const data = new Int16Array(outSize * pairs * 16);
  for (let xx = 0; xx < outSize; xx++) {
    const count = bounds[xx * 2 + 1]!;
    for (let t = 0; t < count; t++) {
      const w = weights[xx * taps + t]!;
      const at = (xx * pairs + (t >> 1)) * 16 + (t & 1);
      for (let channel = 0; channel < 3; channel++) {
        data[at + channel * 2] = w >> 8;
        data[at + 8 + channel * 2] = w & 255;
      }
    }
  }
  return { data, stride: pairs * 32 };
}

/** @internal An RGB image in the kernels' memory: its first byte's offset and its size. */
export interface WasmImage {
  readonly offset: number;
  readonly width: number;
  readonly height: number;
}

/**
 * @internal Plans a resize of `source` (already placed in the arena, or to be) into the arena.
 * `schedule(tasks)`, after `arena.reserve()`, writes the weights into the arena and adds the
 * passes to a job, each cut into bands of rows; `target` is written once the job has run.
 * Several resizes of one source share its copy (the grid image and the thumbnail).
 */
export function planWasmResize(
  arena: WasmArena,
  source: WasmImage,
  width: number,
  height: number,
  filter: ResampleFilter = BICUBIC,
): { readonly target: WasmImage; schedule(tasks: KernelTasks): void } {
  const needHorizontal = width !== source.width;
  const needVertical = height !== source.height;
  const vertical = precomputeCoefficients(source.height, height, filter);
  const horizontal = needHorizontal ? precomputeCoefficients(source.width, width, filter) : undefined;
  // Only the source rows the vertical kernel reads are resampled horizontally.
  const firstRow = horizontal ? vertical.bounds[0]! : 0;
  const rowCount = horizontal
    ? vertical.bounds[height * 2 - 2]! + vertical.bounds[height * 2 - 1]! - firstRow
    : source.height;
  const pairs = horizontal && pairWeights(horizontal);
  const vBounds = arena.take(vertical.bounds.byteLength);
  const vWeights = arena.take(vertical.weights.byteLength);
  const hBounds = arena.take(horizontal?.bounds.byteLength ?? 0);
  const hPairs = arena.take(pairs?.data.byteLength ?? 0);
  const middle = horizontal ? arena.take(width * 3 * rowCount) : source.offset;
  const target = needVertical ? arena.take(width * 3 * height) : middle;
  const rowBytes = width * 3;
  return {
    target: { offset: target, width, height },
    schedule(tasks) {
      const { heap } = arena;
      if (horizontal) {
        new Int32Array(heap, hBounds, horizontal.bounds.length).set(horizontal.bounds);
        new Int16Array(heap, hPairs, pairs!.data.length).set(pairs!.data);
        const srcRowBytes = source.width * 3;
        forEachBand(rowCount, KernelTasks.bands(rowCount), (first, rows) =>
          tasks.add(PHASES.horizontal, 0, [
            source.offset + (firstRow + first) * srcRowBytes,
            srcRowBytes,
            rows,
            width,
            hBounds,
            hPairs,
            pairs!.stride,
            middle + first * rowBytes,
          ]),
        );
      }
      if (needVertical) {
        new Int32Array(heap, vBounds, vertical.bounds.length).set(vertical.bounds);
        new Int32Array(heap, vWeights, vertical.weights.length).set(vertical.weights);
        // The kernel writes whole 16-byte vectors: rows narrower than that are one band.
        const bands = rowBytes < 16 ? 1 : KernelTasks.bands(height);
        forEachBand(height, bands, (first, rows) =>
          tasks.add(PHASES.vertical, 1, [
            middle,
            rowBytes,
            rows,
            vBounds + first * 8,
            vWeights + first * vertical.taps * 4,
            vertical.taps,
            firstRow,
            target + first * rowBytes,
          ]),
        );
      }
    },
  };
}

/** @internal Cuts `total` rows into `bands` bands of near-equal size, in order. */
export function forEachBand(
  total: number,
  bands: number,
  visit: (first: number, rows: number) => void,
): void {
  for (let band = 0; band < bands; band++) {
    const first = Math.floor((band * total) / bands);
    const next = Math.floor(((band + 1) * total) / bands);
    if (next > first) visit(first, next - first);
  }
}

function resampleWithWasm(
  kernels: WasmKernels,
  image: RgbImage,
  width: number,
  height: number,
  filter: ResampleFilter,
): Uint8Array {
  const arena = new WasmArena(kernels);
  const source = { offset: arena.take(image.data.byteLength), width: image.width, height: image.height };
  const resize = planWasmResize(arena, source, width, height, filter);
  const heap = arena.reserve();
  new Uint8Array(heap, source.offset, image.data.length).set(image.data);
  const tasks = new KernelTasks();
  resize.schedule(tasks);
  runKernelTasks(kernels, tasks);
  return new Uint8Array(heap, resize.target.offset, width * height * 3).slice();
}

/** @internal Which kernels run the passes: `auto` picks WebAssembly SIMD where available. */
export type ResampleImplementation = 'auto' | 'wasm' | 'js';

/**
 * Resizes an RGB image exactly as Pillow's `Image.resize((width, height), Image.BICUBIC)` does on
 * 8-bit data: antialiased bicubic (a = -0.5) with 22-bit fixed-point weights, the horizontal pass
 * first into an 8-bit intermediate, each pass skipped when its dimension is unchanged.
 * The output is bit-identical to Pillow's. Runs WebAssembly SIMD kernels where the platform has
 * them and the same arithmetic in TypeScript elsewhere.
 *
 * @throws {InvalidArgumentError} when the target size is not positive integers
 */
export function resizeBicubic(image: RgbImage, width: number, height: number): RgbImage {
  return resizeBicubicWith(image, width, height, 'auto');
}

/**
 * Resizes an RGB image exactly as Pillow's `Image.resize((width, height), Image.BILINEAR)` does on
 * 8-bit data (the triangle filter through the same fixed-point passes as {@link resizeBicubic}).
 * VLMEvalKit upscales the first image of MMMU questions this way (2×) for InternVL.
 */
export function resizeBilinear(image: RgbImage, width: number, height: number): RgbImage {
  return resizeBicubicWith(image, width, height, 'auto', BILINEAR);
}

/** @internal */
export function resizeBicubicWith(
  image: RgbImage,
  width: number,
  height: number,
  implementation: ResampleImplementation,
  filter: ResampleFilter = BICUBIC,
): RgbImage {
  assertImageSize(width, height, Number.POSITIVE_INFINITY);
  const needHorizontal = width !== image.width;
  const needVertical = height !== image.height;
  if (!needHorizontal && !needVertical) return { width, height, data: image.data.slice() };

  const kernels = implementation === 'js' ? null : loadWasmKernels();
  if (implementation === 'wasm' && !kernels)
    throw new DependencyMissingError({
      dependency: 'WebAssembly SIMD',
      message: "WebAssembly SIMD is not available here; use implementation 'js' (or 'auto').",
    });
  if (kernels) return { width, height, data: resampleWithWasm(kernels, image, width, height, filter) };

  const vertical = precomputeCoefficients(image.height, height, filter);
  const horizontal = needHorizontal ? precomputeCoefficients(image.width, width, filter) : undefined;
  let data = image.data;
  let rowOffset = 0;
  if (horizontal) {
    // Only the source rows the vertical kernel reads are resampled horizontally.
    const firstRow = vertical.bounds[0]!;
    const lastRow = vertical.bounds[height * 2 - 2]! + vertical.bounds[height * 2 - 1]!;
    data = resampleHorizontal(data, image.width, firstRow, lastRow - firstRow, width, horizontal);
    rowOffset = firstRow;
  }
  if (needVertical) data = resampleVertical(data, width, rowOffset, height, vertical);
  return { width, height, data };
}
