import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNodeBackend } from '@ivl/backend-node';
import { createWebBackend } from '@ivl/backend-web';
import { ModelLoadError } from '@ivl/core';
import { tinyModel } from '@ivl/test-models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { editedModel } from './__fixtures__/test-helpers.js';
import type { LoadProgressEvent } from './load-model.js';
import { rgbOnlyMediaLoader } from './media-loader.js';
import { modelStoreFromUrl } from './model-store.js';
import { createRuntime } from './node/create-runtime.js';
import { createRuntimeFromStore } from './runtime.js';

const root = mkdtempSync(join(tmpdir(), 'ivl-manifest-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Bytes of every file under onnx/, counted from the disk (not from ivl.json). */
const onnxBytes = (model: string) =>
  readdirSync(join(model, 'onnx')).reduce((sum, name) => sum + statSync(join(model, 'onnx', name)).size, 0);

describe('loading ivl.json (format 2)', () => {
  let model: string;
  beforeAll(async () => {
    ({ model } = await tinyModel('tiny-qwen2'));
  }, 300_000);

  it('should report load progress over every byte of the model, from a directory', async () => {
    const events: LoadProgressEvent[] = [];
    const runtime = await createRuntime({
      model,
      backend: createNodeBackend(),
      onProgress: (event) => {
        if (event.type === 'load') events.push(event);
      },
    });
    await runtime.dispose();
    const last = events.at(-1)!;
    expect(last.totalBytes).toBe(onnxBytes(model));
    expect(last.loadedBytes).toBe(last.totalBytes);
    expect(last.loadedFiles).toBe(4);
  });

  it('should refuse a malformed ivl.json with a ModelLoadError naming the field', async () => {
    const cases: [string, (manifest: Record<string, unknown>) => unknown, RegExp][] = [
      ['null', () => null, /converted for model format unknown, but this ivl reads format 2/],
      ['no-dims', (m) => ({ ...m, dims: undefined }), /ivl\.json is not a valid ivl model manifest: dims: /],
      [
        'bad-layers',
        (m) => ({ ...m, dims: { ...(m.dims as object), layers: 'two' } }),
        /dims\.layers: Invalid type/,
      ],
      [
        'outside',
        (m) => {
          const files = structuredClone(m.files) as Record<
            string,
            Record<string, { onnx: { path: string } }>
          >;
          files.projector!.fp32!.onnx.path = '../../etc/passwd';
          return { ...m, files };
        },
        /files\.projector\.fp32\.onnx\.path: a relative path inside the model directory/,
      ],
      [
        'format-1',
        (m) => ({ ...m, formatVersion: 1 }),
        /converted for model format 1, but this ivl reads format 2\. Convert the checkpoint again/,
      ],
    ];
    for (const [name, edit, pattern] of cases) {
      const directory = editedModel(root, model, `manifest-${name}`, () => undefined);
      const manifest = JSON.parse(readFileSync(join(model, 'ivl.json'), 'utf8'));
      writeFileSync(join(directory, 'ivl.json'), JSON.stringify(edit(manifest)));
      const error = await createRuntime({ model: directory, backend: createNodeBackend() }).catch(
        (e: unknown) => e,
      );
      expect(ModelLoadError.isInstance(error), `${name}: ${String(error)}`).toBe(true);
      expect((error as Error).message, name).toMatch(pattern);
    }
  });

  it('should refuse a listed file that is missing or of another size, before the backend reads it', async () => {
    const directory = editedModel(root, model, 'manifest-size', (manifest) => {
      const files = (
        manifest as unknown as {
          files: Record<string, Record<string, { externalData: { bytes: number }[] }>>;
        }
      ).files;
      files.decoder_model_merged!.fp32!.externalData[0]!.bytes += 1;
    });
    await expect(createRuntime({ model: directory, backend: createNodeBackend() })).rejects.toThrow(
      /decoder_model_merged\.onnx_data has \d+ bytes but ivl\.json says \d+/,
    );
  });

  describe('from a base URL (a local HTTP server on 127.0.0.1)', () => {
    let server: Server;
    let base: string;
    const requested: string[] = [];
    beforeAll(async () => {
      server = createServer((request, response) => {
        const path = decodeURIComponent(new URL(request.url!, 'http://x').pathname.slice(1));
        requested.push(path);
        try {
          const body = readFileSync(join(model, path));
          response.writeHead(200, { 'content-length': body.length }).end(body);
        } catch {
          // Like a single-page app's server: unknown paths get the index page, with 200.
          response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>app</title>');
        }
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('should fetch exactly the files ivl.json lists, counting every byte', async () => {
      const events: LoadProgressEvent[] = [];
      const runtime = await createRuntimeFromStore({
        store: modelStoreFromUrl(base),
        backend: createWebBackend({ device: 'wasm' }),
        media: rgbOnlyMediaLoader,
        onProgress: (event) => events.push(event),
      });
      const text = await runtime.chat([{ role: 'user', content: 'Hi' }], { maxNewTokens: 2 }).text();
      expect(text).toBeTypeOf('string');
      await runtime.dispose();
      const manifest = JSON.parse(readFileSync(join(model, 'ivl.json'), 'utf8'));
      const listed = Object.values(
        manifest.files as Record<
          string,
          { fp32: { onnx: { path: string }; externalData: { path: string }[] } }
        >,
      ).flatMap((part) => [part.fp32.onnx.path, ...part.fp32.externalData.map((file) => file.path)]);
      const onnxRequests = requested.filter((path) => path.startsWith('onnx/'));
      expect(onnxRequests.sort()).toEqual(listed.sort());
      const last = events.at(-1)!;
      expect(last.totalBytes).toBe(onnxBytes(model));
      expect(last.loadedBytes).toBe(last.totalBytes);
      // Progress moved in steps as the bytes arrived, never backwards.
      const loaded = events.map((event) => event.loadedBytes);
      expect(loaded).toEqual([...loaded].sort((a, b) => a - b));
      expect(events.length).toBeGreaterThan(4);
    });

    it('should refuse an HTML page served where weights are listed', async () => {
      const broken = editedModel(root, model, 'manifest-html', (manifest) => {
        const files = (
          manifest as unknown as {
            files: Record<string, Record<string, { externalData: { path: string }[] }>>;
          }
        ).files;
        files.projector!.fp32!.externalData[0]!.path = 'onnx/not-there.onnx_data';
      });
      // The edited ivl.json, the files from the server.
      const error = await createRuntimeFromStore({
        store: {
          ...modelStoreFromUrl(base),
          readText: async (file: string) =>
            readFileSync(join(file === 'ivl.json' ? broken : model, file), 'utf8'),
        },
        backend: createWebBackend({ device: 'wasm' }),
        media: rgbOnlyMediaLoader,
      }).catch((e: unknown) => e);
      expect(ModelLoadError.isInstance(error), String(error)).toBe(true);
      expect((error as Error).message).toMatch(
        /onnx\/not-there\.onnx_data has \d+ bytes but ivl\.json says \d+/,
      );
    });
  });
});
