import { InvalidArgumentError, type Tensor } from '@ivl/core';
import { cropImage } from './crop-image.js';
import {
  normalizeTables,
  type PixelValueOptions,
  pixelValueSettings,
  pixelValuesTensor,
  toPixelValues,
} from './pixel-values.js';
import { planTiles, type TileGrid, type TileOptions, type TilePlan } from './plan-tiles.js';
import { forEachBand, planWasmResize, resizeBicubic } from './resize-bicubic.js';
import { assertImageSize, DEFAULT_MAX_PIXELS, type RgbImage } from './rgb-image.js';
import { KernelTasks, PHASES } from './wasm/kernel-tasks.js';
import { runKernelTasks } from './wasm/kernel-threads.js';
import { loadWasmKernels, WasmArena, type WasmKernels } from './wasm/load-kernels.js';

/** Options of {@link tileImage}. */
export interface TileImageOptions extends TileOptions, PixelValueOptions {
  /** Refuse images with more pixels than this. @default 178956970 (Pillow's bomb limit) */
  readonly maxPixels?: number;
}

/** One image cut into model-ready tiles. */
export interface TiledImage {
  readonly plan: TilePlan;
  readonly grid: TileGrid;
  /** Grid tiles in row-major order, then the thumbnail when there is one. */
  readonly tiles: readonly RgbImage[];
  /** `[numTiles, 3, tileSizePx, tileSizePx]`, normalized. */
  readonly pixelValues: Tensor<'float32'> | Tensor<'float16'>;
  readonly dims: readonly number[];
  readonly numTiles: number;
}

function checkImage(image: RgbImage, maxPixels: number): void {
  assertImageSize(image.width, image.height, maxPixels);
  if (!(image.data instanceof Uint8Array) || image.data.length !== image.width * image.height * 3) {
    throw new InvalidArgumentError({
      argument: 'image',
      message:
        `Expected ${image.width}×${image.height}×3 = ${image.width * image.height * 3} RGB bytes in a ` +
        `Uint8Array, got ${image.data?.length ?? 'no'} bytes. Use createRgbImage() to wrap RGBA data.`,
    });
  }
}

// A new buffer's pages are mapped at their first write, and on virtual machines that costs
// about 1 ms per MB: one write a page does it ahead of the real writes.
function touchedFloat32Array(length: number): Float32Array {
  const values = new Float32Array(length);
  for (let i = 0; i < length; i += 1024) values[i] = 0;
  return values;
}

/** How many float32 values the plan's `pixel_values` hold: `[tiles, 3, size, size]`. */
function pixelValuesLength(plan: TilePlan): number {
  return plan.numTiles * 3 * plan.tileSizePx * plan.tileSizePx;
}

/**
 * @internal Validates the options for an image of this size and returns a function that makes
 * the float32 `pixel_values` buffer {@link tileImageInto} will fill, its pages already touched
 * (undefined where it would not use one: float16, or no WebAssembly kernels). loadImage calls it
 * while sharp decodes, so that the touching is off the tiling's path.
 */
export function pixelValuesPreparer(
  width: number,
  height: number,
  options: TileImageOptions,
): () => Float32Array | undefined {
  const plan = planTiles(width, height, options);
  const { dtype } = pixelValueSettings(options);
  if (dtype !== 'float32' || !loadWasmKernels()) return () => undefined;
  return () => touchedFloat32Array(pixelValuesLength(plan));
}

/**
 * The tiles' pixel values straight from the kernels' memory: the source copied there once, the
 * grid image and the thumbnail resized there, each tile normalized out of the grid image in place
 * (no crops), and one copy out. The passes run in bands of rows on the tiling threads
 * (`tilingThreads()`); this thread first-touches the output meanwhile unless it came prepared.
 */
function pixelValuesWithWasm(
  kernels: WasmKernels,
  image: RgbImage,
  plan: TilePlan,
  options: PixelValueOptions,
  prepared: Float32Array | undefined,
): Tensor<'float32'> | Tensor<'float16'> {
  const { mean, std, dtype } = pixelValueSettings(options);
  const size = plan.tileSizePx;
  const planeBytes = size * size * 4;
  const arena = new WasmArena(kernels);
  const source = { offset: arena.take(image.data.length), width: image.width, height: image.height };
  const grid = planWasmResize(arena, source, plan.resizedWidthPx, plan.resizedHeightPx);
  const thumbnail = plan.thumbnail ? planWasmResize(arena, source, size, size) : undefined;
  const tables = normalizeTables(mean, std);
  const tableOffset = arena.take(tables.byteLength);
  const length = pixelValuesLength(plan);
  const values = arena.take(length * 4);
  const heap = arena.reserve();
  new Uint8Array(heap, source.offset, image.data.length).set(image.data);
  new Float32Array(heap, tableOffset, tables.length).set(tables);
  const tasks = new KernelTasks();
  grid.schedule(tasks);
  thumbnail?.schedule(tasks);
  // Each tile (then the thumbnail) normalized in bands of its rows, into its three planes: tile
  // `index`'s tasks are group `index`.
  const normalize = (first: number, rowBytes: number, index: number) =>
    forEachBand(size, Math.min(4, KernelTasks.bands(size)), (row, rows) =>
      tasks.add(
        PHASES.normalize,
        2,
        [
          first + row * rowBytes,
          rowBytes,
          size,
          rows,
          tableOffset,
          values + index * 3 * planeBytes + row * size * 4,
          planeBytes,
        ],
        index,
      ),
    );
  const gridRowBytes = grid.target.width * 3;
  plan.tiles.forEach((rect, index) => {
    normalize(grid.target.offset + rect.y * gridRowBytes + rect.x * 3, gridRowBytes, index);
  });
  if (thumbnail) normalize(thumbnail.target.offset, size * 3, plan.tiles.length);
  const dims = [plan.numTiles, 3, size, size];
  // float16 is converted from the kernels' memory straight into its own new array.
  if (dtype === 'float16') {
    runKernelTasks(kernels, tasks);
    return pixelValuesTensor(new Float32Array(heap, values, length), dims, dtype);
  }
  let output = prepared?.length === length ? prepared : undefined;
  const tileLength = 3 * size * size;
  // Each tile is copied out as soon as it is normalized, while the helpers normalize the next.
  runKernelTasks(
    kernels,
    tasks,
    () => {
      output ??= touchedFloat32Array(length);
    },
    (tile) =>
      output!.set(new Float32Array(heap, values + tile * tileLength * 4, tileLength), tile * tileLength),
  );
  return pixelValuesTensor(output!, dims, dtype);
}

/** The tiles as images: the grid crops, then the thumbnail. */
function cutTiles(image: RgbImage, plan: TilePlan): RgbImage[] {
  const resized = resizeBicubic(image, plan.resizedWidthPx, plan.resizedHeightPx);
  const tiles = plan.tiles.map((rect) => cropImage(resized, rect));
  // The thumbnail is resized from the original image, not from the grid-resized one.
  if (plan.thumbnail) tiles.push(resizeBicubic(image, plan.tileSizePx, plan.tileSizePx));
  return tiles;
}

/**
 * Cuts an image into InternVL tiles and computes `pixel_values`, exactly as the official
 * `load_image` (dynamic_preprocess + ToTensor + Normalize) does with Pillow.
 *
 * `tiles` are cut when first read, from `image` as it is then (the model needs only `pixelValues`;
 * with WebAssembly SIMD those are computed without making the tile images).
 *
 * @example
 * ```ts
 * const tiled = tileImage(image, { maxTiles: 12 });
 * tiled.grid;  // { columns: 4, rows: 2 } for a 1920×1080 image
 * tiled.dims;  // [9, 3, 448, 448]
 * ```
 * @throws {InvalidArgumentError} for malformed images or options
 * @throws {ImageTooLargeError} for images over `maxPixels`
 */
export function tileImage(image: RgbImage, options: TileImageOptions = {}): TiledImage {
  return tileImageInto(image, options, undefined);
}

/**
 * @internal {@link tileImage}, writing float32 `pixel_values` into `output` where it has their
 * length (from {@link pixelValuesPreparer}); into a new array otherwise.
 */
export function tileImageInto(
  image: RgbImage,
  options: TileImageOptions,
  output: Float32Array | undefined,
): TiledImage {
  checkImage(image, options.maxPixels ?? DEFAULT_MAX_PIXELS);
  const plan = planTiles(image.width, image.height, options);
  const kernels = loadWasmKernels();
  let tiles: RgbImage[] | undefined = kernels ? undefined : cutTiles(image, plan);
  const pixelValues = kernels
    ? pixelValuesWithWasm(kernels, image, plan, options, output)
    : toPixelValues(tiles!, options);
  return {
    plan,
    grid: plan.grid,
    get tiles() {
      tiles ??= cutTiles(image, plan);
      return tiles;
    },
    pixelValues,
    dims: pixelValues.dims,
    numTiles: plan.numTiles,
  };
}
