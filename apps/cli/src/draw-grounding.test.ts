import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseGrounding } from '@ivl/prompt';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { drawGrounding, LABEL_COLOURS } from './draw-grounding.js';

const root = mkdtempSync(join(tmpdir(), 'ivl-draw-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const hex = (colour: string) => [1, 3, 5].map((i) => Number.parseInt(colour.slice(i, i + 2), 16));

describe('drawGrounding', () => {
  it('should outline each box in its label’s colour at the scaled coordinates', async () => {
    const image = join(root, 'grey.png');
    await sharp({ create: { width: 1000, height: 500, channels: 3, background: '#808080' } })
      .png()
      .toFile(image);
    const answer =
      '<ref>a cat</ref><box>[[100, 200, 400, 800]]</box> and <ref>a dog</ref><box>[[600, 100, 900, 500]]</box>, <ref>a cat</ref><box>[[450, 600, 550, 900]]</box>';
    const out = join(root, 'drawn.png');
    await drawGrounding(image, parseGrounding(answer), out);
    const { data, info } = await sharp(out).raw().toBuffer({ resolveWithObject: true });
    const at = (x: number, y: number) => [
      ...data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3),
    ];
    // The cat box spans x 100…400, y 100…400 px; its left edge at x = 100, mid-height.
    expect(at(100, 250)).toEqual(hex(LABEL_COLOURS[0]!));
    expect(at(400, 250)).toEqual(hex(LABEL_COLOURS[0]!));
    // The dog (second label) in the second colour: top edge at y = 50.
    expect(at(750, 50)).toEqual(hex(LABEL_COLOURS[1]!));
    // The second cat box shares the first cat's colour: its bottom edge at y = 450.
    expect(at(500, 450)).toEqual(hex(LABEL_COLOURS[0]!));
    // Inside a box the image is untouched.
    expect(at(250, 250)).toEqual([128, 128, 128]);
  });
});
