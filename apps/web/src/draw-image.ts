import type { ChatResult } from '@ivl/runtime';
import { planTiles } from '@ivl/tiling';

const COLOURS = ['#ff3b30', '#34c759', '#007aff', '#ff9500', '#af52de', '#5ac8fa'];

/**
 * Draws an image with the tile grid InternVL cuts it into (the plan of `ivl tiles`, from
 * @ivl/tiling, scaled back onto the picture) and, after an answer, its grounded boxes
 * (0–1000 coordinates, one colour per label). Returns the grid, for the page and its tests.
 */
export function drawImage(
  canvas: HTMLCanvasElement,
  bitmap: ImageBitmap,
  maxTiles: number,
  grounding: ChatResult['grounding'] = [],
) {
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  const context = canvas.getContext('2d')!;
  context.drawImage(bitmap, 0, 0);
  const plan = planTiles(bitmap.width, bitmap.height, { maxTiles });
  const sx = bitmap.width / plan.resizedWidthPx;
  const sy = bitmap.height / plan.resizedHeightPx;
  const line = Math.max(2, Math.round(bitmap.width / 400));
  context.lineWidth = line;
  context.strokeStyle = 'rgba(255,255,255,0.9)';
  context.font = `${Math.max(14, Math.round(bitmap.width / 40))}px sans-serif`;
  plan.tiles.forEach((tile, index) => {
    context.strokeRect(tile.x * sx, tile.y * sy, tile.width * sx, tile.height * sy);
    context.fillStyle = 'rgba(0,0,0,0.6)';
    context.fillRect(
      tile.x * sx + line,
      tile.y * sy + line,
      context.measureText(String(index + 1)).width + 12,
      28,
    );
    context.fillStyle = '#fff';
    context.fillText(String(index + 1), tile.x * sx + line + 6, tile.y * sy + line + 22);
  });
  const labels = [...new Set(grounding.map((object) => object.label ?? ''))];
  for (const object of grounding) {
    context.strokeStyle = COLOURS[labels.indexOf(object.label ?? '') % COLOURS.length]!;
    context.lineWidth = line * 2;
    for (const box of object.boxes) {
      const x1 = (box.x1 / 1000) * bitmap.width;
      const y1 = (box.y1 / 1000) * bitmap.height;
      context.strokeRect(
        x1,
        y1,
        ((box.x2 - box.x1) / 1000) * bitmap.width,
        ((box.y2 - box.y1) / 1000) * bitmap.height,
      );
      if (object.label) {
        context.fillStyle = context.strokeStyle;
        context.fillText(object.label, x1 + 4, Math.max(20, y1 - 6));
      }
    }
  }
  return {
    columns: plan.grid.columns,
    rows: plan.grid.rows,
    tiles: plan.tiles.length,
    thumbnail: plan.thumbnail,
    boxes: grounding.reduce((sum, object) => sum + object.boxes.length, 0),
  };
}
