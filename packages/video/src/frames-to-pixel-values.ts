import { createTensor, InvalidArgumentError, type Tensor } from '@ivl/core';
import { type PixelValueOptions, tileImage } from '@ivl/tiling';
import type { DecodedFrame } from './video-types.js';

/**
 * Turns decoded frames into `pixel_values` `[count, 3, S, S]` as the official `load_video` does:
 * each frame one tile (`max_num` 1: a plain resize to S×S, no thumbnail), written as it arrives
 * so no frame is kept.
 * @internal
 */
export async function framesToPixelValues(
  frames: AsyncIterable<DecodedFrame>,
  count: number,
  options: PixelValueOptions & { readonly tileSizePx?: number },
): Promise<Tensor<'float32'> | Tensor<'float16'>> {
  const size = options.tileSizePx ?? 448;
  const plane = 3 * size * size;
  // One typed array holds every frame: past 2^31 − 1 elements JavaScript cannot make it.
  const limit = Math.floor((2 ** 31 - 1) / plane);
  if (!Number.isInteger(count) || count < 1 || count > limit) {
    throw new InvalidArgumentError({
      argument: 'segments',
      message: `Can sample 1…${limit} frames of ${size}×${size} into one pixel_values tensor, got ${count}. Sample fewer frames (InternVL uses 8–32), or tile frames one by one with sampleVideoFrames.`,
    });
  }
  const data = options.dtype === 'float16' ? new Uint16Array(count * plane) : new Float32Array(count * plane);
  let position = 0;
  for await (const frame of frames) {
    const tiled = tileImage(frame.image, {
      ...options,
      maxTiles: 1,
      tileSizePx: size,
      maxPixels: Number.POSITIVE_INFINITY,
    });
    data.set(tiled.pixelValues.data, position++ * plane);
  }
  const dims = [count, 3, size, size];
  return data instanceof Uint16Array
    ? createTensor('float16', dims, data)
    : createTensor('float32', dims, data);
}
