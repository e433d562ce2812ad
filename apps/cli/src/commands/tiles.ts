import { mkdir, realpath, rename, rm, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { InvalidArgumentError } from '@ivl/core';
import type { TiledImage } from '@ivl/tiling';
import { decodeImage, tileImage } from '@ivl/tiling/node';
import sharp from 'sharp';

export interface TilesCommandOptions {
  readonly maxTiles: number;
  readonly minTiles: number;
  readonly out?: string;
  /** Print the plan as one JSON document ({@link tilesDocument}) instead of the table. */
  readonly json?: boolean;
}

/** The JSON form of `ivl tiles --json`. Field names are stable: added to, never renamed or removed. */
export function tilesDocument(
  image: string,
  decoded: { width: number; height: number },
  tiled: TiledImage,
  options: TilesCommandOptions,
  elapsedMs: number,
) {
  const { grid, plan } = tiled;
  return {
    image,
    width: decoded.width,
    height: decoded.height,
    maxTiles: options.maxTiles,
    minTiles: options.minTiles,
    grid: { columns: grid.columns, rows: grid.rows },
    resized: { width: plan.resizedWidthPx, height: plan.resizedHeightPx },
    tileSize: plan.tileSizePx,
    tiles: plan.tiles.map(({ x, y, width, height }) => ({ x, y, width, height })),
    thumbnail: plan.thumbnail,
    numTiles: tiled.numTiles,
    pixelValues: { dims: [...tiled.dims], dtype: tiled.pixelValues.dtype },
    imageTokens: tiled.numTiles * 256,
    ms: Number(elapsedMs.toFixed(1)),
    picture: options.out ?? null,
  };
}

const GAP_PX = 32;

function label(x: number, y: number, text: string): string {
  const width = 24 * text.length + 16;
  return (
    `<rect x="${x}" y="${y}" width="${width}" height="52" rx="8" fill="#000" fill-opacity="0.65"/>` +
    `<text x="${x + 8}" y="${y + 40}" font-family="sans-serif" font-size="40" fill="#fff">${text}</text>`
  );
}

function overlaySvg(tiled: TiledImage, width: number, height: number): string {
  const { plan } = tiled;
  const lines = plan.tiles.map(
    (rect, index) =>
      `<rect x="${rect.x + 2}" y="${rect.y + 2}" width="${rect.width - 4}" height="${rect.height - 4}" fill="none" stroke="#fff" stroke-width="4"/>` +
      label(rect.x + 12, rect.y + 12, String(index + 1)),
  );
  if (plan.thumbnail) {
    const x = plan.resizedWidthPx + GAP_PX;
    lines.push(
      `<rect x="${x + 2}" y="2" width="${plan.tileSizePx - 4}" height="${plan.tileSizePx - 4}" fill="none" stroke="#34c759" stroke-width="4"/>`,
      label(x + 12, 12, `${plan.numTiles} thumbnail`),
    );
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${lines.join('')}</svg>`;
}

/** Writes a PNG of the tiling: the grid tiles in place with their outlines, the thumbnail beside them. */
async function writeTilingPicture(tiled: TiledImage, out: string): Promise<void> {
  const { plan } = tiled;
  const width = plan.resizedWidthPx + (plan.thumbnail ? GAP_PX + plan.tileSizePx : 0);
  const height = Math.max(plan.resizedHeightPx, plan.tileSizePx);
  const layers = tiled.tiles.map((tile, index) => {
    const rect = plan.tiles[index] ?? { x: plan.resizedWidthPx + GAP_PX, y: 0 };
    return {
      input: Buffer.from(tile.data.buffer, tile.data.byteOffset, tile.data.byteLength),
      raw: { width: tile.width, height: tile.height, channels: 3 as const },
      left: rect.x,
      top: rect.y,
    };
  });
  const picture = sharp({ create: { width, height, channels: 3, background: '#1c1c1e' } })
    .composite([...layers, { input: Buffer.from(overlaySvg(tiled, width, height)), left: 0, top: 0 }])
    .png();
  await mkdir(dirname(out), { recursive: true });
  const temporary = `${out}.${process.pid}.tmp`;
  try {
    await picture.toFile(temporary);
    await rename(temporary, out);
  } finally {
    await rm(temporary, { force: true });
  }
}

/** Refuses, before any work, an output that is a folder or the input image itself. */
async function checkPictureOutput(image: string, out: string): Promise<void> {
  const info = await stat(out).catch(() => undefined);
  if (info?.isDirectory()) {
    throw new InvalidArgumentError({
      argument: 'out',
      message: `--out ${out} is a folder; give the picture's file name, e.g. ${resolve(out, 'tiles.png')}.`,
    });
  }
  const real = (path: string) => realpath(path).catch(() => resolve(path));
  if (info && (await real(out)) === (await real(image))) {
    throw new InvalidArgumentError({
      argument: 'out',
      message: `--out ${out} is the input image; writing the picture there would destroy it. Choose another file name.`,
    });
  }
}

/** `ivl tiles <image>`: prints the tile plan and, with `--out`, draws it. */
export async function tilesCommand(
  image: string,
  options: TilesCommandOptions,
  print: (line: string) => void,
) {
  if (options.out) await checkPictureOutput(image, options.out);
  const started = performance.now();
  const decoded = await decodeImage(image);
  const tiled = tileImage(decoded, { maxTiles: options.maxTiles, minTiles: options.minTiles });
  const elapsedMs = performance.now() - started;
  if (options.json) {
    if (options.out) await writeTilingPicture(tiled, options.out);
    print(JSON.stringify(tilesDocument(image, decoded, tiled, options, elapsedMs)));
    return;
  }
  const { grid, plan } = tiled;
  print(`image        ${image} (${decoded.width}×${decoded.height})`);
  print(`grid         ${grid.columns} columns × ${grid.rows} rows (maxTiles ${options.maxTiles})`);
  print(`resized to   ${plan.resizedWidthPx}×${plan.resizedHeightPx}`);
  print(
    `tiles        ${grid.columns * grid.rows}${plan.thumbnail ? ' + 1 thumbnail' : ''} = ${tiled.numTiles}`,
  );
  print(`pixel_values [${tiled.dims.join(', ')}] ${tiled.pixelValues.dtype}`);
  print(`image tokens ${tiled.numTiles * 256} (+2 for <img></img>)`);
  print(`time         ${elapsedMs.toFixed(1)} ms (decode + tile + normalize)`);
  if (options.out) {
    await writeTilingPicture(tiled, options.out);
    print(`picture      ${options.out}`);
  }
}
