import { InvalidArgumentError, type Tensor } from '@ivl/core';
import { cropImage } from './crop-image.js';
import { type PixelValueOptions, toPixelValues } from './pixel-values.js';
import { planTiles, type TileGrid, type TileOptions, type TilePlan } from './plan-tiles.js';
import { resizeBicubic } from './resize-bicubic.js';
import { assertImageSize, DEFAULT_MAX_PIXELS, type RgbImage } from './rgb-image.js';

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

/**
 * Cuts an image into InternVL tiles and computes `pixel_values`, exactly as the official
 * `load_image` (dynamic_preprocess + ToTensor + Normalize) does with Pillow.
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
  checkImage(image, options.maxPixels ?? DEFAULT_MAX_PIXELS);
  const plan = planTiles(image.width, image.height, options);
  const resized = resizeBicubic(image, plan.resizedWidthPx, plan.resizedHeightPx);
  const tiles = plan.tiles.map((rect) => cropImage(resized, rect));
  // The thumbnail is resized from the original image, not from the grid-resized one.
  if (plan.thumbnail) tiles.push(resizeBicubic(image, plan.tileSizePx, plan.tileSizePx));
  const pixelValues = toPixelValues(tiles, options);
  return { plan, grid: plan.grid, tiles, pixelValues, dims: pixelValues.dims, numTiles: tiles.length };
}
