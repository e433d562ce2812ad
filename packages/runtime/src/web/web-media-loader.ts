import { InvalidArgumentError } from '@ivl/core';
import { decodeImage } from '@ivl/tiling/web';
import { sampleVideoFrames } from '@ivl/video/web';
import { isRgbImage, type MediaLoader } from '../media-loader.js';

/** Images: Blob/File, URL, ImageData, ImageBitmap, canvas or RGB; videos: Blob/File or URL. */
export const webMediaLoader: MediaLoader = {
  async image(source, signal) {
    if (isRgbImage(source)) return source;
    if (typeof source === 'string' || source instanceof URL) {
      const response = await fetch(String(source), { signal: signal ?? null });
      return decodeImage(await response.blob(), { signal });
    }
    if (typeof source === 'object' && source !== null) return decodeImage(source as Blob, { signal });
    throw new InvalidArgumentError({
      argument: 'image',
      message: 'An image must be a Blob/File, URL, ImageData, ImageBitmap, canvas or RGB.',
    });
  },
  async video(source, { frames, signal }) {
    return sampleVideoFrames(source as Blob | string, { segments: frames, ...(signal && { signal }) });
  },
};
