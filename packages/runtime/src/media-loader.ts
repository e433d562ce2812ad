import { InvalidArgumentError, type Tensor } from '@ivl/core';
import type { RgbImage } from '@ivl/tiling';

/** Decodes the images and videos of messages; each entry point (Node, web) provides one. */
export interface MediaLoader {
  /** Decodes an image to RGB. */
  image(source: unknown, signal?: AbortSignal): Promise<RgbImage>;
  /** Samples `frames` frames (get_index) as one 448 px tile each: `[frames, 3, 448, 448]`. */
  video(
    source: unknown,
    options: { frames: number; signal?: AbortSignal },
  ): Promise<Tensor<'float32'> | Tensor<'float16'>>;
  /** A stable key for caching the encoded media (a path, a URL, a content hash), or undefined. */
  key(source: unknown): string | undefined;
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
  key: () => undefined,
};

/** @internal FNV-1a over bytes, for cache keys of in-memory media. */
export function contentHash(bytes: Uint8Array): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < bytes.length; i++) {
    h1 = Math.imul(h1 ^ bytes[i]!, 0x01000193);
    h2 = Math.imul(h2 ^ bytes[i]!, 0x5bd1e995);
  }
  return `${(h1 >>> 0).toString(16)}${(h2 >>> 0).toString(16)}:${bytes.length}`;
}
