import { rename, rm } from 'node:fs/promises';
import type { GroundedObject } from '@ivl/prompt';
import sharp from 'sharp';

// One colour per label, in order of appearance (then round again).
export const LABEL_COLOURS = [
  '#ff3b30',
  '#34c759',
  '#007aff',
  '#ff9500',
  '#af52de',
  '#00c7be',
  '#ffcc00',
  '#ff2d55',
];

const escapeXml = (text: string) =>
  text.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

/**
 * Draws grounded boxes on the image they refer to: each box outlined in its label's colour, the
 * label above it. Boxes are InternVL's 0–1000 coordinates scaled to the image. Written to a
 * temporary file, then renamed into place.
 */
export async function drawGrounding(
  image: string,
  objects: readonly GroundedObject[],
  out: string,
): Promise<void> {
  const { width = 0, height = 0 } = await sharp(image).metadata();
  const stroke = Math.max(2, Math.round(Math.min(width, height) / 200));
  const font = Math.max(12, Math.round(Math.min(width, height) / 30));
  const labels = [...new Set(objects.map((object) => object.label ?? ''))];
  const shapes = objects.flatMap((object) => {
    const colour = LABEL_COLOURS[labels.indexOf(object.label ?? '') % LABEL_COLOURS.length];
    return object.boxes.map((box) => {
      const x1 = (box.x1 * width) / 1000;
      const y1 = (box.y1 * height) / 1000;
      const x2 = (box.x2 * width) / 1000;
      const y2 = (box.y2 * height) / 1000;
      const label = object.label
        ? `<text x="${x1 + stroke}" y="${Math.max(font, y1 - stroke)}" font-family="sans-serif" font-size="${font}" fill="${colour}">${escapeXml(object.label)}</text>`
        : '';
      return `<rect x="${x1}" y="${y1}" width="${x2 - x1}" height="${y2 - y1}" fill="none" stroke="${colour}" stroke-width="${stroke}"/>${label}`;
    });
  });
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${shapes.join('')}</svg>`;
  const temporary = `${out}.${process.pid}.tmp`;
  try {
    await sharp(image)
      .composite([{ input: Buffer.from(svg), left: 0, top: 0 }])
      .png()
      .toFile(temporary);
    await rename(temporary, out);
  } finally {
    await rm(temporary, { force: true });
  }
}
