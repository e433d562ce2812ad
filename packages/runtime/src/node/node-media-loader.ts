import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from '@ivl/core';
import { decodeImage } from '@ivl/tiling/node';
import type { SampledVideo } from '@ivl/video';
import { sampleVideoFrames } from '@ivl/video/node';
import { decodeDataUrl, type FetchPolicy, MediaFetchFailure, resolveFetchPolicy } from '../fetch-policy.js';
import { isRgbImage, type MediaLoader } from '../media-loader.js';
import { allowedFile, fetchMedia } from './fetch-media.js';

const SCHEME = /^([a-z][a-z0-9+.-]*):/i;

/**
 * The Node media loader under a fetch policy. Images: paths, `file:`, `data:` and http(s) URLs,
 * encoded bytes or RGB, decoded with sharp; videos: paths, `file:`, `data:` and http(s) URLs
 * (downloaded to a temporary file, removed when its frames are read), decoded with ffmpeg.
 */
export function createNodeMediaLoader(fetchPolicy: FetchPolicy = {}): MediaLoader {
  const policy = resolveFetchPolicy(fetchPolicy);

  /** Bytes of a URL, or the path of a local file, as the policy allows. */
  const locate = async (
    text: string,
    signal: AbortSignal | undefined,
  ): Promise<{ bytes: Uint8Array } | { path: string }> => {
    const scheme = SCHEME.exec(text)?.[1]?.toLowerCase();
    if (scheme === 'http' || scheme === 'https') return { bytes: await fetchMedia(text, policy, signal) };
    if (scheme === 'data') return { bytes: decodeDataUrl(text, policy.maxBytes) };
    // One letter is a Windows drive (C:\…), not a scheme.
    if (scheme && scheme !== 'file' && scheme.length > 1)
      throw new MediaFetchFailure(text, `${scheme}: URLs are not read; use http(s), data: or file:`);
    return { path: await allowedFile(text, policy) };
  };

  return {
    async image(source, signal) {
      if (isRgbImage(source)) return source;
      if (source instanceof Uint8Array || source instanceof ArrayBuffer)
        return decodeImage(source, { signal });
      if (typeof source !== 'string' && !(source instanceof URL)) {
        throw new InvalidArgumentError({
          argument: 'image',
          message: 'An image must be a path, a URL, encoded bytes, or { width, height, data } RGB.',
        });
      }
      const text = String(source);
      try {
        const located = await locate(text, signal);
        return decodeImage('bytes' in located ? located.bytes : located.path, { signal });
      } catch (error) {
        throw error instanceof MediaFetchFailure ? error.toDecodeError('image') : error;
      }
    },

    async video(source, { frames, signal }) {
      if (typeof source !== 'string' && !(source instanceof URL)) {
        throw new InvalidArgumentError({
          argument: 'video',
          message: 'In Node a video must be a path or a URL (file:, data:, http(s)).',
        });
      }
      const text = String(source);
      let located: Awaited<ReturnType<typeof locate>>;
      try {
        located = await locate(text, signal);
      } catch (error) {
        throw error instanceof MediaFetchFailure ? error.toDecodeError('video') : error;
      }
      const options = { segments: frames, ...(signal && { signal }) };
      if ('path' in located) return sampleVideoFrames(located.path, options);
      // ffmpeg reads files: the downloaded video lives in a temporary folder until its frames are read.
      const folder = await mkdtemp(join(tmpdir(), 'ivl-video-'));
      try {
        const path = join(folder, 'video');
        await writeFile(path, located.bytes);
        const sampled = await sampleVideoFrames(path, options);
        const frames = (async function* () {
          try {
            yield* sampled.frames;
          } finally {
            await rm(folder, { recursive: true, force: true });
          }
        })();
        return { ...sampled, frames } satisfies SampledVideo;
      } catch (error) {
        await rm(folder, { recursive: true, force: true });
        throw error;
      }
    },
  };
}

/** The Node media loader under the default fetch policy (public http(s) hosts, any local file). */
export const nodeMediaLoader: MediaLoader = createNodeMediaLoader();
