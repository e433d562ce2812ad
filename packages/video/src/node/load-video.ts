import { createTensor, type Tensor } from '@ivl/core';
import { type PixelValueOptions, tileImage } from '@ivl/tiling';
import { type FrameSamplingOptions, sampleFrameIndices } from '../sample-frame-indices.js';
import type { VideoPixelValues } from '../video-types.js';
import { decodeFrames } from './decode-frames.js';
import type { FfmpegOptions } from './ffmpeg-tools.js';
import { probeVideo } from './probe-video.js';

/** Options of {@link loadVideo}. */
export interface LoadVideoOptions
  extends FfmpegOptions,
    PixelValueOptions,
    Pick<FrameSamplingOptions, 'segments' | 'bound' | 'firstIndex'> {
  /** @default 448 */
  readonly tileSizePx?: number;
}

/**
 * The Node counterpart of the official `load_video`: probe, sample `segments` frame indices with
 * `get_index`, decode exactly those frames with ffmpeg, and turn each into one tile
 * (`maxTiles` 1: a plain resize to 448×448, no thumbnail), streaming frame by frame.
 *
 * @example
 * ```ts
 * const video = await loadVideo('clip.mp4', { segments: 8 });
 * video.pixelValues.dims; // [8, 3, 448, 448]
 * ```
 */
export async function loadVideo(path: string, options: LoadVideoOptions = {}): Promise<VideoPixelValues> {
  const info = await probeVideo(path, options);
  const indices = sampleFrameIndices({ frameCount: info.frameCount, fps: info.fps, ...options });
  const size = options.tileSizePx ?? 448;
  const plane = 3 * size * size;
  const data =
    options.dtype === 'float16'
      ? new Uint16Array(indices.length * plane)
      : new Float32Array(indices.length * plane);
  let position = 0;
  for await (const frame of decodeFrames(path, indices, {
    ...options,
    width: info.width,
    height: info.height,
  })) {
    const tiled = tileImage(frame.image, {
      ...options,
      maxTiles: 1,
      tileSizePx: size,
      maxPixels: Number.POSITIVE_INFINITY,
    });
    data.set(tiled.pixelValues.data, position * plane);
    position++;
  }
  const dims = [indices.length, 3, size, size];
  const pixelValues: Tensor<'float32'> | Tensor<'float16'> =
    data instanceof Uint16Array ? createTensor('float16', dims, data) : createTensor('float32', dims, data);
  return { info, indices, pixelValues, numTilesList: indices.map(() => 1) };
}
