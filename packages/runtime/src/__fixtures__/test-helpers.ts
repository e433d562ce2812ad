import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RgbImage } from '@ivl/tiling';

/** A seeded noisy gradient: different seeds give different pixels of the same size. */
export function syntheticImage(width: number, height: number, seed: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  let s = seed;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = ((i % (width * 3)) * 2 + (s >>> 28)) & 255;
  }
  return { width, height, data };
}

/** A copy of a model directory under `root` (weights symlinked) with ivl.json edited. */
export function editedModel(
  root: string,
  model: string,
  name: string,
  edit: (manifest: { formatVersion: number; dims: { maxPositionEmbeddings: number } }) => void,
): string {
  const directory = join(root, name);
  mkdirSync(join(directory, 'onnx'), { recursive: true });
  for (const file of readdirSync(model))
    if (file !== 'onnx' && file !== 'ivl.json') symlinkSync(join(model, file), join(directory, file));
  for (const file of readdirSync(join(model, 'onnx')))
    symlinkSync(join(model, 'onnx', file), join(directory, 'onnx', file));
  const manifest = JSON.parse(readFileSync(join(model, 'ivl.json'), 'utf8'));
  edit(manifest);
  writeFileSync(join(directory, 'ivl.json'), JSON.stringify(manifest));
  return directory;
}
