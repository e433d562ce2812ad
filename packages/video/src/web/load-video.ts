import type { PixelValueOptions } from '@ivl/tiling';
import { framesToPixelValues } from '../frames-to-pixel-values.js';
import { type FrameSamplingOptions, sampleFrameIndices } from '../sample-frame-indices.js';
import type { SampledVideo, VideoInfo, VideoPixelValues } from '../video-types.js';
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
  const { info, indices, frames } = await sampleVideoFrames(input, options);
  const pixelValues = await framesToPixelValues(frames, indices.length, options);
  return { info, indices, pixelValues, numTilesList: indices.map(() => 1) };
}

/**
 * Opens a video and samples its frame indices with `get_index`, then decodes those frames as
 * they are iterated (the demuxer is closed when the frames end or are returned): the first half
 * of {@link loadVideo}, for callers that tile frames themselves.
 */
export async function sampleVideoFrames(
  input: WebVideoInput,
  options: Pick<WebLoadVideoOptions, 'segments' | 'bound' | 'firstIndex' | 'signal'> = {},
): Promise<SampledVideo> {
  const opened = await openVideo(input, options.signal);
  try {
    const { info } = opened;
    const indices = sampleFrameIndices({ frameCount: info.frameCount, fps: info.fps, ...options });
    const frames = (async function* () {
      try {
        yield* decodeFrames(input, indices, { signal: options.signal, opened });
      } finally {
        opened.dispose();
      }
    })();
    return { info, indices, frames };
  } catch (error) {
    opened.dispose();
    throw error;
  }
}
