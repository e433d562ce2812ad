import { InvalidArgumentError } from '@ivl/core';
import { decodeImage } from '@ivl/tiling/node';
import { sampleVideoFrames } from '@ivl/video/node';
import { isRgbImage, type MediaLoader } from '../media-loader.js';

/** Images: paths, `file://` URLs, encoded bytes or RGB; videos: paths. Decoded with sharp and ffmpeg. */
export const nodeMediaLoader: MediaLoader = {
  async image(source, signal) {
    if (isRgbImage(source)) return source;
    if (typeof source === 'string' || source instanceof URL) {
      const text = String(source);
      if (/^https?:/.test(text)) {
        const response = await fetch(text, { signal: signal ?? null });
        return decodeImage(new Uint8Array(await response.arrayBuffer()), { signal });
      }
      if (text.startsWith('data:'))
        return decodeImage(new Uint8Array(Buffer.from(text.slice(text.indexOf(',') + 1), 'base64')), {
          signal,
        });
      return decodeImage(text.startsWith('file:') ? new URL(text).pathname : text, { signal });
    }
    if (source instanceof Uint8Array || source instanceof ArrayBuffer) return decodeImage(source, { signal });
    throw new InvalidArgumentError({
      argument: 'image',
      message: 'An image must be a path, a URL, encoded bytes, or { width, height, data } RGB.',
    });
  },
  async video(source, { frames, signal }) {
    if (typeof source !== 'string' && !(source instanceof URL)) {
      throw new InvalidArgumentError({ argument: 'video', message: 'In Node a video must be a file path.' });
    }
    const path = String(source).startsWith('file:') ? new URL(String(source)).pathname : String(source);
    return sampleVideoFrames(path, { segments: frames, ...(signal && { signal }) });
  },
};
