import { InvalidArgumentError } from '@ivl/core';
import type { RgbImage } from '@ivl/tiling';
import type { SampledVideo } from '@ivl/video';

/** Decodes the images and videos of messages; each entry point (Node, web) provides one. */
export interface MediaLoader {
  /** Decodes an image to RGB. */
  image(source: unknown, signal?: AbortSignal): Promise<RgbImage>;
  /**
   * Samples `frames` frames of a video (the official `get_index`), decoded to RGB as they are
   * iterated; the runtime tiles them like images (one tile each).
   */
  video(source: unknown, options: { frames: number; signal?: AbortSignal }): Promise<SampledVideo>;
}

/** @internal Is `value` an already-decoded RGB image? */
export function isRgbImage(value: unknown): value is RgbImage {
  return (
    typeof value === 'object' &&
    value !== null &&
    'width' in value &&
    'height' in value &&
    'data' in value &&
    (value as RgbImage).data instanceof Uint8Array &&
    (value as RgbImage).data.length === (value as RgbImage).width * (value as RgbImage).height * 3
  );
}

/** Loads only decoded RGB images; videos need an entry point with a decoder (`@ivl/runtime/node` or `/web`). */
export const rgbOnlyMediaLoader: MediaLoader = {
  async image(source) {
    if (isRgbImage(source)) return source;
    throw new InvalidArgumentError({
      argument: 'image',
      message:
        'This entry takes decoded { width, height, data } RGB images only. Use @ivl/runtime/node (paths, buffers) or @ivl/runtime/web (Blob, ImageData, URL).',
    });
  },
  async video() {
    throw new InvalidArgumentError({
      argument: 'video',
      message: 'Videos need @ivl/runtime/node (ffmpeg) or @ivl/runtime/web (WebCodecs).',
    });
  },
};
