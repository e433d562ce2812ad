import type { ModelFile } from '@ivl/core';
import { sha256Hex } from '../content-hash.js';

/**
 * Where a URL store keeps downloaded weights between page loads. Entries are keyed by the
 * manifest's SHA-256 of the file (content, never a name or URL that can point to new content) and
 * checked against it, and its size, when read.
 */
export interface WeightCache {
  /** The file's bytes when cached and intact; a damaged entry is removed and reads as absent. */
  get(file: ModelFile): Promise<Uint8Array | undefined>;
  put(file: ModelFile, bytes: Uint8Array): Promise<void>;
  /** Keeps the cache under its byte budget, evicting entries not in `keep` (the files in use) first. */
  prune(keep: readonly ModelFile[]): Promise<void>;
  /** Removes every entry. */
  clear(): Promise<void>;
}

const KEY_ORIGIN = 'https://ivl-weights.invalid/sha256/';
const keyOf = (file: Pick<ModelFile, 'sha256'>) => `${KEY_ORIGIN}${file.sha256}`;

/**
 * A {@link WeightCache} in the browser's Cache Storage (`caches`), bounded by `maxBytes`.
 * @default name 'ivl-weights', maxBytes 8 GiB
 */
export function cacheStorageWeightCache(options: { name?: string; maxBytes?: number } = {}): WeightCache {
  const name = options.name ?? 'ivl-weights';
  const maxBytes = options.maxBytes ?? 8 * 1024 ** 3;
  const open = () => caches.open(name);
  return {
    async get(file) {
      const cache = await open();
      const response = await cache.match(keyOf(file));
      if (!response) return undefined;
      const bytes = new Uint8Array(await response.arrayBuffer());
      if (bytes.byteLength === file.bytes && (await sha256Hex(bytes)) === file.sha256) return bytes;
      await cache.delete(keyOf(file));
      return undefined;
    },
    async put(file, bytes) {
      const cache = await open();
      const headers = {
        'content-type': 'application/octet-stream',
        'content-length': String(bytes.byteLength),
      };
      await cache.put(keyOf(file), new Response(bytes as Uint8Array<ArrayBuffer>, { headers }));
    },
    async prune(keep) {
      const cache = await open();
      const kept = new Set(keep.map(keyOf));
      const entries = await Promise.all(
        (await cache.keys()).map(async (request) => {
          const length = Number((await cache.match(request))?.headers.get('content-length') ?? 0);
          return { url: request.url, length };
        }),
      );
      let total = entries.reduce((sum, entry) => sum + entry.length, 0);
      for (const entry of entries.filter((e) => !kept.has(e.url))) {
        if (total <= maxBytes) break;
        await cache.delete(entry.url);
        total -= entry.length;
      }
    },
    async clear() {
      await caches.delete(name);
    },
  };
}
