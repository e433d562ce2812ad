import { ImageDecodeError, VideoDecodeError } from '@ivl/core';

/**
 * What media a runtime may fetch or read on behalf of a message: the bounds on untrusted URLs
 * (`image_url`, `video_url`) and local files. The server maps its flags onto it.
 */
export interface FetchPolicy {
  /** Largest body (or `data:` URL payload) accepted, in bytes. @default 64 MiB */
  readonly maxBytes?: number;
  /** Time for a whole fetch: connecting, redirects, headers and body. @default 30 000 */
  readonly timeoutMs?: number;
  /** Redirects followed (each hop checked again). @default 3 */
  readonly maxRedirects?: number;
  /** Hosts on loopback (127.0.0.0/8, ::1, `localhost`). @default false */
  readonly allowLoopback?: boolean;
  /** Hosts in private, link-local, shared (CGNAT) and unique-local ranges. @default false */
  readonly allowPrivate?: boolean;
  /**
   * Local files (paths and `file:` URLs) only inside these folders; `[]` refuses every file.
   * @default undefined: any file the process can read (a library call names its own files)
   */
  readonly fileRoots?: readonly string[];
  /** When set, only URLs that start with one of these prefixes are fetched. */
  readonly urlPrefixes?: readonly string[];
}

/** The policy with its defaults filled in. */
export interface ResolvedFetchPolicy {
  readonly maxBytes: number;
  readonly timeoutMs: number;
  readonly maxRedirects: number;
  readonly allowLoopback: boolean;
  readonly allowPrivate: boolean;
  readonly fileRoots: readonly string[] | undefined;
  readonly urlPrefixes: readonly string[] | undefined;
}

export const FETCH_POLICY_DEFAULTS = Object.freeze({
  maxBytes: 64 * 1024 * 1024,
  timeoutMs: 30_000,
  maxRedirects: 3,
  allowLoopback: false,
  allowPrivate: false,
});

export function resolveFetchPolicy(policy: FetchPolicy = {}): ResolvedFetchPolicy {
  return {
    maxBytes: policy.maxBytes ?? FETCH_POLICY_DEFAULTS.maxBytes,
    timeoutMs: policy.timeoutMs ?? FETCH_POLICY_DEFAULTS.timeoutMs,
    maxRedirects: policy.maxRedirects ?? FETCH_POLICY_DEFAULTS.maxRedirects,
    allowLoopback: policy.allowLoopback ?? FETCH_POLICY_DEFAULTS.allowLoopback,
    allowPrivate: policy.allowPrivate ?? FETCH_POLICY_DEFAULTS.allowPrivate,
    fileRoots: policy.fileRoots,
    urlPrefixes: policy.urlPrefixes,
  };
}

/** Why a fetch was refused or failed, for the typed error the loader throws. */
export class MediaFetchFailure extends Error {
  constructor(
    readonly url: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(reason, options);
  }

  /** The typed error a user sees: which media, which URL, and why. */
  toDecodeError(kind: 'image' | 'video'): ImageDecodeError | VideoDecodeError {
    const Failure = kind === 'image' ? ImageDecodeError : VideoDecodeError;
    return new Failure({
      source: this.url,
      message: `Could not read the ${kind} ${this.url}: ${this.reason}.`,
      cause: this.cause ?? this,
    });
  }
}

/**
 * Reads a response body as it arrives, refusing it as soon as it passes `maxBytes` (a declared
 * `content-length` over the cap is refused before reading).
 */
export async function readBounded(response: Response, url: string, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new MediaFetchFailure(url, `the body is ${declared} bytes, over the limit of ${maxBytes} bytes`);
  }
  const chunks: Uint8Array[] = [];
  let received = 0;
  const reader = response.body?.getReader();
  if (reader) {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      received += value.length;
      if (received > maxBytes) {
        await reader.cancel();
        throw new MediaFetchFailure(url, `the body passed the limit of ${maxBytes} bytes`);
      }
      chunks.push(value);
    }
  }
  const bytes = new Uint8Array(received);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}

/** Bytes of a `data:` URL, refusing a payload over `maxBytes` before decoding it. */
export function decodeDataUrl(url: string, maxBytes: number): Uint8Array {
  const comma = url.indexOf(',');
  if (comma === -1)
    throw new MediaFetchFailure(url.slice(0, 40), 'a data: URL needs a comma before its payload');
  const header = url.slice(5, comma);
  const payload = url.slice(comma + 1);
  const base64 = header.endsWith(';base64');
  const estimate = base64 ? Math.floor((payload.length * 3) / 4) : payload.length;
  if (estimate > maxBytes) {
    throw new MediaFetchFailure(
      `data:${header},…`,
      `the payload is about ${estimate} bytes, over the limit of ${maxBytes} bytes`,
    );
  }
  try {
    if (base64) return Uint8Array.from(atob(payload.replace(/\s/g, '')), (c) => c.charCodeAt(0));
    return new TextEncoder().encode(decodeURIComponent(payload));
  } catch (error) {
    throw new MediaFetchFailure(`data:${header},…`, 'the payload is not valid base64 or URL encoding', {
      cause: error,
    });
  }
}
