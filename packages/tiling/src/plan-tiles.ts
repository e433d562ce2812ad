import { InvalidArgumentError } from '@ivl/core';
import { assertImageSize } from './rgb-image.js';

/** A grid of tiles: `columns` across, `rows` down. */
export interface TileGrid {
  readonly columns: number;
  readonly rows: number;
}

/** A rectangle in pixels of the grid-resized image. */
export interface TileRect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** Options of {@link planTiles} and `tileImage`. */
export interface TileOptions {
  /** Most tiles of the grid (the thumbnail is not counted). @default 12 */
  readonly maxTiles?: number;
  /** Fewest tiles of the grid. @default 1 */
  readonly minTiles?: number;
  /** Edge of a square tile in pixels. @default 448 */
  readonly tileSizePx?: number;
  /** Append a whole-image thumbnail when the grid has more than one tile. @default true */
  readonly thumbnail?: boolean;
}

/** Where the tiles of one image come from. */
export interface TilePlan {
  readonly grid: TileGrid;
  /** Size the whole image is resized to before cutting: `tileSizePx × columns` by `tileSizePx × rows`. */
  readonly resizedWidthPx: number;
  readonly resizedHeightPx: number;
  /** Crop rectangles in the resized image, row-major. */
  readonly tiles: readonly TileRect[];
  /** Whether a thumbnail of the original image follows the grid tiles. */
  readonly thumbnail: boolean;
  /** Grid tiles plus the thumbnail. */
  readonly numTiles: number;
  readonly tileSizePx: number;
}

/** Largest tile budget accepted: InternVL's tie-break was checked exhaustively up to 64 tiles. */
export const MAX_TILES_LIMIT = 64;

function checkInteger(argument: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError({
      argument,
      message: `\`${argument}\` must be an integer in [${min}, ${max}], got ${value}.`,
    });
  }
}

/**
 * Every grid with `minTiles ≤ columns·rows ≤ maxTiles`, stably sorted by tile count.
 * Candidates of equal count are in (columns, rows) lexicographic order; the official code
 * iterates a Python set instead, which cannot change the chosen grid (internvl-spec §1.2).
 */
export function candidateGrids(minTiles: number, maxTiles: number): TileGrid[] {
  const grids: TileGrid[] = [];
  for (let columns = 1; columns <= maxTiles; columns++) {
    for (let rows = 1; rows <= maxTiles; rows++) {
      const count = columns * rows;
      if (count >= minTiles && count <= maxTiles) grids.push({ columns, rows });
    }
  }
  return grids.sort((a, b) => a.columns * a.rows - b.columns * b.rows);
}

/**
 * InternVL's `find_closest_aspect_ratio`: the grid whose ratio is nearest the image's, and among
 * grids of exactly equal distance the later (larger) one while the image has more than half the
 * grid's pixel area.
 */
export function closestGrid(
  width: number,
  height: number,
  grids: readonly TileGrid[],
  tileSizePx: number,
): TileGrid {
  const aspect = width / height;
  const area = width * height;
  let bestDiff = Number.POSITIVE_INFINITY;
  let best: TileGrid = { columns: 1, rows: 1 };
  for (const grid of grids) {
    const diff = Math.abs(aspect - grid.columns / grid.rows);
    if (diff < bestDiff) {
      bestDiff = diff;
      best = grid;
    } else if (diff === bestDiff && area > 0.5 * tileSizePx * tileSizePx * grid.columns * grid.rows) {
      best = grid;
    }
  }
  return best;
}

/**
 * Plans InternVL's dynamic high-resolution tiling of a `width × height` image
 * (`dynamic_preprocess` of the official code).
 *
 * @example
 * ```ts
 * planTiles(1920, 1080).grid; // { columns: 4, rows: 2 } -> 8 tiles + thumbnail
 * ```
 * @throws {InvalidArgumentError} for non-positive sizes or out-of-range options
 */
export function planTiles(width: number, height: number, options: TileOptions = {}): TilePlan {
  const { maxTiles = 12, minTiles = 1, tileSizePx = 448, thumbnail = true } = options;
  assertImageSize(width, height, Number.POSITIVE_INFINITY);
  checkInteger('maxTiles', maxTiles, 1, MAX_TILES_LIMIT);
  checkInteger('minTiles', minTiles, 1, maxTiles);
  checkInteger('tileSizePx', tileSizePx, 1, 8192);

  const grid = closestGrid(width, height, candidateGrids(minTiles, maxTiles), tileSizePx);
  const tiles: TileRect[] = [];
  for (let index = 0; index < grid.columns * grid.rows; index++) {
    tiles.push({
      x: (index % grid.columns) * tileSizePx,
      y: Math.floor(index / grid.columns) * tileSizePx,
      width: tileSizePx,
      height: tileSizePx,
    });
  }
  const withThumbnail = thumbnail && tiles.length !== 1;
  return {
    grid,
    resizedWidthPx: grid.columns * tileSizePx,
    resizedHeightPx: grid.rows * tileSizePx,
    tiles,
    thumbnail: withThumbnail,
    numTiles: tiles.length + (withThumbnail ? 1 : 0),
    tileSizePx,
  };
}
