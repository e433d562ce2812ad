import { createTensor, InvalidArgumentError, type Tensor } from '@ivl/core';
import type { RgbImage } from './rgb-image.js';
import { type TiledImage, type TileImageOptions, tileImage } from './tile-image.js';

/** Options of {@link tileImages}. */
export interface TileImagesOptions extends TileImageOptions {
  /**
   * How `maxTiles` applies to several images:
   * - `split` (default): each image gets `max(1, floor(maxTiles / images.length))`, as InternVL's
   *   multi-image training and demo do;
   * - `each`: every image gets the whole `maxTiles`.
   */
  readonly budget?: 'split' | 'each';
}

/** Several images tiled for one prompt. */
export interface TiledImages {
  readonly images: readonly TiledImage[];
  /** Tiles per image, the `num_patches_list` of the official `chat()`. */
  readonly numTilesList: readonly number[];
  /** All images' pixel values concatenated in image order: `[Σ numTiles, 3, S, S]`. */
  readonly pixelValues: Tensor<'float32'> | Tensor<'float16'>;
}

/** Per-image tile budget for `count` images sharing `maxTiles` (InternVL's multi-image rule). */
export function splitTileBudget(maxTiles: number, count: number): number {
  return Math.max(1, Math.floor(maxTiles / count));
}

/**
 * Tiles several images for one multi-image prompt.
 *
 * @example
 * ```ts
 * const { numTilesList } = tileImages([a, b], { maxTiles: 12 }); // each image gets up to 6 tiles
 * ```
 */
export function tileImages(images: readonly RgbImage[], options: TileImagesOptions = {}): TiledImages {
  if (images.length === 0) {
    throw new InvalidArgumentError({
      argument: 'images',
      message: 'At least one image is needed, got none.',
    });
  }
  const { budget = 'split', maxTiles = 12, ...rest } = options;
  const perImage = budget === 'split' ? splitTileBudget(maxTiles, images.length) : maxTiles;
  const tiled = images.map((image) => tileImage(image, { ...rest, maxTiles: perImage }));
  const first = tiled[0]!.pixelValues;
  const total = tiled.reduce((sum, t) => sum + t.pixelValues.data.length, 0);
  const data = first.dtype === 'float16' ? new Uint16Array(total) : new Float32Array(total);
  let offset = 0;
  for (const t of tiled) {
    data.set(t.pixelValues.data, offset);
    offset += t.pixelValues.data.length;
  }
  const dims = [tiled.reduce((sum, t) => sum + t.numTiles, 0), ...first.dims.slice(1)];
  const pixelValues =
    data instanceof Uint16Array ? createTensor('float16', dims, data) : createTensor('float32', dims, data);
  return { images: tiled, numTilesList: tiled.map((t) => t.numTiles), pixelValues };
}
