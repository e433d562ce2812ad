import { createTensor, ShapeMismatchError, type Tensor } from '@ivl/core';

/**
 * InternVL's pixel shuffle (ps_version v2) in plain TypeScript: features [N, g², C] of a g×g patch
 * grid → [N, g²/4, 4C], where output token i·(g/2)+j concatenates the patches (2i,2j), (2i,2j+1),
 * (2i+1,2j), (2i+1,2j+1): the (dy, dx, c) channel order of ONNX SpaceToDepth, not PixelUnshuffle's.
 *
 * @throws {ShapeMismatchError} when the token count is not an even square
 */
export function pixelShuffle(features: Tensor<'float32'>): Tensor<'float32'> {
  const [tiles, tokens, C] = features.dims as [number, number, number];
  const grid = Math.round(Math.sqrt(tokens));
  if (features.dims.length !== 3 || grid * grid !== tokens || grid % 2 !== 0) {
    throw new ShapeMismatchError({
      message: `pixelShuffle needs features [N, g², C] with an even g, got [${features.dims.join(', ')}].`,
      expectedDims: [tiles ?? -1, 1024, C ?? -1],
      actualDims: features.dims,
    });
  }
  const half = grid / 2;
  const out = new Float32Array(features.data.length);
  const input = features.data;
  for (let n = 0; n < tiles; n++) {
    const base = n * tokens * C;
    for (let i = 0; i < half; i++) {
      for (let j = 0; j < half; j++) {
        let target = base + (i * half + j) * 4 * C;
        for (let dy = 0; dy < 2; dy++) {
          for (let dx = 0; dx < 2; dx++) {
            const source = base + ((2 * i + dy) * grid + 2 * j + dx) * C;
            out.set(input.subarray(source, source + C), target);
            target += C;
          }
        }
      }
    }
  }
  return createTensor('float32', [tiles, half * half, 4 * C], out);
}
