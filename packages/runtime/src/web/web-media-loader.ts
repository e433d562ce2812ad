import { InvalidArgumentError } from '@ivl/core';
import { decodeImage } from '@ivl/tiling/web';
import { sampleVideoFrames } from '@ivl/video/web';
import {
  decodeDataUrl,
  type FetchPolicy,
  MediaFetchFailure,
  readBounded,
  resolveFetchPolicy,
} from '../fetch-policy.js';
import { isRgbImage, type MediaLoader } from '../media-loader.js';

/**
 * The browser media loader. Images: Blob/File, URL, ImageData, ImageBitmap, canvas or RGB; videos:
 * Blob/File or URL. URLs are fetched with the policy's byte cap, timeout and status check; which
 * hosts a page may reach is the browser's to decide (CORS), so host rules do not apply here.
 */
export function createWebMediaLoader(fetchPolicy: FetchPolicy = {}): MediaLoader {
  const policy = resolveFetchPolicy(fetchPolicy);
  const fetchBlob = async (url: string, signal?: AbortSignal): Promise<Blob> => {
    if (url.startsWith('data:'))
      return new Blob([decodeDataUrl(url, policy.maxBytes) as Uint8Array<ArrayBuffer>]);
    const timeout = AbortSignal.timeout(policy.timeoutMs);
    const response = await fetch(url, {
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    }).catch((error: unknown) => {
      if (signal?.aborted) throw signal.reason;
      throw new MediaFetchFailure(
        url,
        timeout.aborted ? `no answer within ${policy.timeoutMs} ms` : String(error),
        {
          cause: error,
        },
      );
    });
    if (!response.ok) throw new MediaFetchFailure(url, `the server answered HTTP ${response.status}`);
    return new Blob([(await readBounded(response, url, policy.maxBytes)) as Uint8Array<ArrayBuffer>]);
  };
  return {
    async image(source, signal) {
      if (isRgbImage(source)) return source;
      if (typeof source === 'string' || source instanceof URL) {
        try {
          return decodeImage(await fetchBlob(String(source), signal), { signal });
        } catch (error) {
          throw error instanceof MediaFetchFailure ? error.toDecodeError('image') : error;
        }
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
}

/** The browser media loader under the default fetch policy. */
export const webMediaLoader: MediaLoader = createWebMediaLoader();
