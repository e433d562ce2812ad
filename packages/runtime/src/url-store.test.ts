import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { ModelFile, ModelPartFiles } from '@ivl/core';
import { ModelLoadError } from '@ivl/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelStoreFromUrl, type UrlStoreWeightCache } from './model-store.js';

// The URL store against a real HTTP server on 127.0.0.1: with a weight cache (what the browser's
// Cache Storage cache does, with an in-memory cache of the same contract), and over connections
// that drop before the answer (a server closing an idle keep-alive socket just as the client
// reuses it, a proxy restarting: what a CI run met, `fetch failed` for the first file of a load).
const served = new Map<string, Buffer>();
/** Connections to destroy, by path, before answering it. */
const drops = new Map<string, number>();
const requests: string[] = [];
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    const path = request.url!.slice(1);
    requests.push(path);
    const left = drops.get(path) ?? 0;
    if (left > 0) {
      drops.set(path, left - 1);
      request.socket.destroy();
      return;
    }
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

describe('modelStoreFromUrl over a connection that drops', () => {
  it('should fetch again a file whose connection dropped before the answer, counting its bytes once', async () => {
    const onnx = serve('c.onnx', Buffer.from('graph-c'));
    const data = serve('c.onnx_data', Buffer.alloc(4000, 3));
    drops.set('c.onnx', 1).set('c.onnx_data', 2);
    requests.splice(0);
    let reported = 0;
    await modelStoreFromUrl(base).partSource(
      { onnx, externalData: [data] },
      { onBytes: (bytes) => (reported = bytes) },
    );
    expect(requests).toEqual(['c.onnx', 'c.onnx', 'c.onnx_data', 'c.onnx_data', 'c.onnx_data']);
    expect(reported).toBe(7 + 4000);
  });

  it('should read ivl.json again after a drop', async () => {
    serve('ivl.json', Buffer.from('{"formatVersion":2}'));
    drops.set('ivl.json', 1);
    await expect(modelStoreFromUrl(base).readText('ivl.json')).resolves.toBe('{"formatVersion":2}');
  });

  it('should give a ModelLoadError naming the URL and the attempts when every attempt drops', async () => {
    const onnx = serve('d.onnx', Buffer.from('graph-d'));
    drops.set('d.onnx', 100);
    const attempt = modelStoreFromUrl(base).partSource({ onnx, externalData: [] });
    await expect(attempt).rejects.toThrow(ModelLoadError);
    await expect(attempt).rejects.toThrow(
      /Could not fetch http:\/\/127\.0\.0\.1:\d+\/d\.onnx after 3 attempts/,
    );
    drops.delete('d.onnx');
    // readText too: a typed error, never a raw TypeError.
    drops.set('ivl.json', 100);
    await expect(modelStoreFromUrl(base).readText('ivl.json')).rejects.toThrow(ModelLoadError);
    drops.delete('ivl.json');
  });

  it('should not retry once aborted', async () => {
    const onnx = serve('e.onnx', Buffer.from('graph-e'));
    requests.splice(0);
    const controller = new AbortController();
    controller.abort();
    await expect(
      modelStoreFromUrl(base).partSource({ onnx, externalData: [] }, { signal: controller.signal }),
    ).rejects.toThrow();
    expect(requests).toEqual([]);
  });
});
