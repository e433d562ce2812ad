import { createTensor, type Tensor } from '@ivl/core';
import { type PixelValueOptions, tileImage } from '@ivl/tiling';
import { type FrameSamplingOptions, sampleFrameIndices } from '../sample-frame-indices.js';
import type { VideoInfo, VideoPixelValues } from '../video-types.js';
import { decodeFrames } from './decode-frames.js';
import { openVideo, type WebVideoInput } from './open-video.js';

/** Options of the web {@link loadVideo}. */
export interface WebLoadVideoOptions
  extends PixelValueOptions,
    Pick<FrameSamplingOptions, 'segments' | 'bound' | 'firstIndex'> {
  /** @default 448 */
  readonly tileSizePx?: number;
  readonly signal?: AbortSignal;
}

/**
 * Probes a video in the browser: frame count (from the demuxed packets), average fps, duration, size.
 * @throws {VideoDecodeError} for unreadable input or no video stream
 */
export async function probeVideo(
  input: WebVideoInput,
  options: { signal?: AbortSignal } = {},
): Promise<VideoInfo> {
  const opened = await openVideo(input, options.signal);
  opened.dispose();
  return opened.info;
}

/**
 * The browser counterpart of the official `load_video`: sample `segments` frames with `get_index`,
 * decode them with WebCodecs and make each one 448 px tile.
 *
 * @example
 * ```ts
 * const video = await loadVideo(fileInput.files[0], { segments: 8 });
 * video.pixelValues.dims; // [8, 3, 448, 448]
 * ```
 */
export async function loadVideo(
  input: WebVideoInput,
  options: WebLoadVideoOptions = {},
): Promise<VideoPixelValues> {
  const opened = await openVideo(input, options.signal);
  try {
    const { info } = opened;
    const indices = sampleFrameIndices({ frameCount: info.frameCount, fps: info.fps, ...options });
    const size = options.tileSizePx ?? 448;
    const plane = 3 * size * size;
    const data =
      options.dtype === 'float16'
        ? new Uint16Array(indices.length * plane)
        : new Float32Array(indices.length * plane);
    let position = 0;
    for await (const frame of decodeFrames(input, indices, { signal: options.signal, opened })) {
      const tiled = tileImage(frame.image, {
        ...options,
        maxTiles: 1,
        tileSizePx: size,
        maxPixels: Number.POSITIVE_INFINITY,
      });
      data.set(tiled.pixelValues.data, position++ * plane);
    }
    const dims = [indices.length, 3, size, size];
    const pixelValues: Tensor<'float32'> | Tensor<'float16'> =
      data instanceof Uint16Array ? createTensor('float16', dims, data) : createTensor('float32', dims, data);
    return { info, indices, pixelValues, numTilesList: indices.map(() => 1) };
  } finally {
    opened.dispose();
  }
}
