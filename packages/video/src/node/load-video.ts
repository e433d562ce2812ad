import type { PixelValueOptions } from '@ivl/tiling';
import { framesToPixelValues } from '../frames-to-pixel-values.js';
import { type FrameSamplingOptions, sampleFrameIndices } from '../sample-frame-indices.js';
import type { SampledVideo, VideoPixelValues } from '../video-types.js';
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
  const { info, indices, frames } = await sampleVideoFrames(path, options);
  const pixelValues = await framesToPixelValues(frames, indices.length, options);
  return { info, indices, pixelValues, numTilesList: indices.map(() => 1) };
}

/**
 * Probes a video and samples its frame indices with `get_index`, then decodes those frames as
 * they are iterated: the first half of {@link loadVideo}, for callers that tile frames themselves.
 */
export async function sampleVideoFrames(
  path: string,
  options: Omit<LoadVideoOptions, keyof PixelValueOptions | 'tileSizePx'> = {},
): Promise<SampledVideo> {
  const info = await probeVideo(path, options);
  const indices = sampleFrameIndices({ frameCount: info.frameCount, fps: info.fps, ...options });
  return {
    info,
    indices,
    frames: decodeFrames(path, indices, { ...options, width: info.width, height: info.height }),
  };
}
