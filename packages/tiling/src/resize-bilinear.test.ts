import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import goldens from './__fixtures__/bilinear-goldens.json' with { type: 'json' };
import { BILINEAR, resizeBicubicWith, resizeBilinear } from './resize-bicubic.js';

// Pillow's Image.resize(..., Image.BILINEAR) on seeded noise (tooling/fixtures/bilinear_goldens.py).
describe('resizeBilinear', () => {
  it.each(goldens.cases)('should equal Pillow byte for byte: $width×$height → $outWidth×$outHeight', (c) => {
    const image = { width: c.width, height: c.height, data: new Uint8Array(Buffer.from(c.input, 'hex')) };
    const out = resizeBilinear(image, c.outWidth, c.outHeight);
    expect(Buffer.from(out.data.subarray(0, 24)).toString('hex')).toBe(c.head);
    expect(createHash('sha256').update(out.data).digest('hex')).toBe(c.sha256);
  });

  it.each(goldens.cases)('should give the same bytes on the TypeScript path: $width×$height', (c) => {
    const image = { width: c.width, height: c.height, data: new Uint8Array(Buffer.from(c.input, 'hex')) };
    const js = resizeBicubicWith(image, c.outWidth, c.outHeight, 'js', BILINEAR);
    expect(createHash('sha256').update(js.data).digest('hex')).toBe(c.sha256);
  });
});
