import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createWebBackend } from '@ivl/backend-web';
import { findChromium, runInChromium } from '@ivl/browser-test';
import { tinyModel } from '@ivl/test-models';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LoadProgressEvent } from '../load-model.js';
import { createRuntime } from '../node/create-runtime.js';

const ortDist = dirname(createRequire(import.meta.url).resolve('onnxruntime-web'));

describe.runIf(findChromium() !== undefined || process.env.CI)(
  '@ivl/runtime/web in headless Chromium',
  () => {
    let model: string;
    let page: { events: LoadProgressEvent[]; tokens: number[]; requested: string[] };
    beforeAll(async () => {
      ({ model } = await tinyModel('tiny-qwen2'));
      page = await runInChromium({
        entry: fileURLToPath(new URL('./create-runtime.browser.ts', import.meta.url)),
        directories: { 'ort/': ortDist, 'model/': model },
        timeoutMs: 240_000,
      });
    }, 300_000);

    it('should count load progress over every byte of the model and fetch only the files ivl.json lists', () => {
      const onDisk = readdirSync(join(model, 'onnx')).reduce(
        (sum, name) => sum + statSync(join(model, 'onnx', name)).size,
        0,
      );
      const last = page.events.at(-1)!;
      expect(last.totalBytes).toBe(onDisk);
      expect(last.loadedBytes).toBe(onDisk);
      expect(last.loadedFiles).toBe(4);
      const manifest = JSON.parse(readFileSync(join(model, 'ivl.json'), 'utf8'));
      const listed = Object.values(
        manifest.files as Record<
          string,
          { fp32: { onnx: { path: string }; externalData: { path: string }[] } }
        >,
      ).flatMap((part) => [part.fp32.onnx.path, ...part.fp32.externalData.map((file) => file.path)]);
      expect(page.requested.filter((path) => path.startsWith('/model/onnx/')).sort()).toEqual(
        listed.map((path) => `/model/${path}`).sort(),
      );
    });

    it('should give the greedy tokens of the same chat in Node', async () => {
      const runtime = await createRuntime({ model, backend: createWebBackend({ device: 'wasm' }) });
      const image = { width: 200, height: 160, data: new Uint8Array(200 * 160 * 3) };
      const result = await runtime
        .chat(
          [
            {
              role: 'user',
              content: [
                { type: 'image', image, maxTiles: 1 },
                { type: 'text', text: 'What is in the picture?' },
              ],
            },
          ],
          { maxNewTokens: 6 },
        )
        .result();
      await runtime.dispose();
      expect(page.tokens).toEqual(result.samples[0]!.tokenIds);
    });
  },
);
