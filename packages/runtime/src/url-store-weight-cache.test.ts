import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { ModelFile, ModelPartFiles } from '@ivl/core';
import { ModelLoadError } from '@ivl/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelStoreFromUrl, type UrlStoreWeightCache } from './model-store.js';

// The URL store with a weight cache, against a real HTTP server on 127.0.0.1: what the browser's
// Cache Storage cache does, with an in-memory cache of the same contract.
const served = new Map<string, Buffer>();
const requests: string[] = [];
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    const path = request.url!.slice(1);
    requests.push(path);
    const body = served.get(path);
    if (!body) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
function serve(path: string, bytes: Buffer): ModelFile {
  served.set(path, bytes);
  return { path, bytes: bytes.length, sha256: sha256(bytes) };
}
function memoryCache(): UrlStoreWeightCache & { entries: Map<string, Uint8Array> } {
  const entries = new Map<string, Uint8Array>();
  return {
    entries,
    get: async (file) => entries.get(file.sha256),
    put: async (file, bytes) => {
      entries.set(file.sha256, bytes);
    },
  };
}
const part = (onnx: ModelFile, data: ModelFile): ModelPartFiles => ({ onnx, externalData: [data] });

describe('modelStoreFromUrl with a weight cache', () => {
  it('should fetch once, then read the cache; a changed file is fetched again', async () => {
    const cache = memoryCache();
    const files = part(serve('a.onnx', Buffer.from('graph-1')), serve('a.onnx_data', Buffer.alloc(5000, 1)));
    await modelStoreFromUrl(base, { weightCache: cache }).partSource(files);
    expect(requests.splice(0)).toEqual(['a.onnx', 'a.onnx_data']);
    expect(cache.entries.size).toBe(2);
    // A second load: nothing fetched, progress still counts every byte.
    let reported = 0;
    await modelStoreFromUrl(base, { weightCache: cache }).partSource(files, {
      onBytes: (bytes) => (reported = bytes),
    });
    expect(requests.splice(0)).toEqual([]);
    expect(reported).toBe(7 + 5000);
    // A new conversion changed the weights: a new SHA-256 in ivl.json, so a new key; the graph is reused.
    const changed = part(files.onnx, serve('a.onnx_data', Buffer.alloc(5000, 2)));
    await modelStoreFromUrl(base, { weightCache: cache }).partSource(changed);
    expect(requests.splice(0)).toEqual(['a.onnx_data']);
  });

  it('should refuse bytes that do not match the manifest SHA-256, and cache nothing of them', async () => {
    const cache = memoryCache();
    const expected = serve('b.onnx', Buffer.from('graph-b'));
    served.set('b.onnx', Buffer.from('graph-B')); // same size, other bytes
    const attempt = modelStoreFromUrl(base, { weightCache: cache }).partSource({
      onnx: expected,
      externalData: [],
    });
    await expect(attempt).rejects.toThrow(ModelLoadError);
    await expect(attempt).rejects.toThrow(/does not match the SHA-256 in ivl\.json/);
    expect(cache.entries.size).toBe(0);
  });
});
