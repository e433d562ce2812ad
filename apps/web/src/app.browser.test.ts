import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createNodeBackend } from '@ivl/backend-node';
import { findChromium } from '@ivl/browser-test';
import { createRuntime } from '@ivl/runtime/node';
import { tinyModel } from '@ivl/test-models';
import { sampleFrameIndices } from '@ivl/video';
import { type Browser, chromium, type Page } from 'playwright-core';
import type { PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The built app (vite build) served by Vite's preview server, driven in real headless Chromium:
// the tiny test model loaded by base URL, the engine in a Web Worker, weights in Cache Storage.
const appDir = join(import.meta.dirname, '..');
const chromiumPath = findChromium();
const sample = readFileSync(join(appDir, 'public', 'sample.png'));
const QUESTION = 'Describe the image.';

describe.skipIf(!chromiumPath)('apps/web in headless Chromium', () => {
  let server: PreviewServer;
  let browser: Browser;
  let page: Page;
  let url: string;
  let model: string;
  const modelRequests = async () => (await (await fetch(`${url}__ivl/requests`)).json()) as string[];
  const phase = () => page.evaluate(() => (globalThis as { __ivl?: { phase: string } }).__ivl?.phase);
  const waitForPhase = (wanted: string, timeout = 180_000) =>
    page.waitForFunction((p) => (globalThis as { __ivl?: { phase: string } }).__ivl?.phase === p, wanted, {
      timeout,
    });

  beforeAll(async () => {
    ({ model } = await tinyModel('tiny-qwen2'));
    process.env.IVL_WEB_MODEL = model;
    const { preview } = await import('vite');
    server = await preview({
      root: appDir,
      configFile: join(appDir, 'vite.config.ts'),
      preview: { host: '127.0.0.1', port: 0 },
      logLevel: 'silent',
    });
    url = server.resolvedUrls!.local[0]!;
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--enable-unsafe-webgpu', '--enable-unsafe-swiftshader', '--use-angle=swiftshader'],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('pageerror', (error) => console.error('page error:', error));
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (server ? server.httpServer.close(() => resolve()) : resolve()));
  });

  async function loadModel(device: string) {
    const loads = await page.evaluate(() => (globalThis as { __ivl?: { loads: number } }).__ivl!.loads);
    await page.selectOption('#device', device);
    await page.click('#load');
    // This load's end, not an earlier one's 'ready'.
    await page.waitForFunction((n) => (globalThis as { __ivl?: { loads: number } }).__ivl!.loads > n, loads, {
      timeout: 180_000,
    });
    expect(await phase()).toBe('ready');
  }

  async function askAndWait(settings: { maxTiles: number; maxNewTokens: number; temperature?: number }) {
    await page.fill('#max-tiles', String(settings.maxTiles));
    await page.fill('#max-new-tokens', String(settings.maxNewTokens));
    await page.fill('#temperature', String(settings.temperature ?? 0));
    await page.fill('#question', QUESTION);
    const answers = await page.evaluate(() => (globalThis as { __ivl?: { answers: number } }).__ivl!.answers);
    await page.click('#ask');
    // Answering now, or already done: a 4-token answer on a loaded machine can start and end
    // between two polls (CI saw 'ready' again and waited 30 s for an 'answering' it had missed).
    await page.waitForFunction(
      (n) => {
        const state = (globalThis as { __ivl?: { phase: string; answers: number } }).__ivl;
        return state?.phase === 'answering' || (state?.answers ?? 0) > n;
      },
      answers,
      { timeout: 120_000 },
    );
  }

  it('should answer about the bundled image with the Node runtime tokens, and draw the tile grid', async () => {
    await page.goto(url);
    await page.waitForFunction(
      () => ((globalThis as { __ivl?: { grids: unknown[] } }).__ivl?.grids.length ?? 0) > 0,
    );
    // The tile overlay of the 1280×720 sample at 12 tiles: 4 × 2 and a thumbnail, as `ivl tiles` shows.
    expect(
      await page.evaluate(() => (globalThis as { __ivl?: { grids: unknown[] } }).__ivl!.grids[0]),
    ).toEqual({
      columns: 4,
      rows: 2,
      tiles: 8,
      thumbnail: true,
      boxes: 0,
    });
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    await loadModel('wasm');
    expect(await page.getAttribute('#load-status', 'data-device')).toBe('wasm');
    await askAndWait({ maxTiles: 2, maxNewTokens: 8 });
    await waitForPhase('ready');
    const browserTokens = await page.evaluate(
      () =>
        (globalThis as { __ivl?: { lastResult?: { samples: { tokenIds: number[] }[] } } }).__ivl!.lastResult!
          .samples[0]!.tokenIds,
    );
    const node = await createRuntime({ model, backend: createNodeBackend() });
    try {
      const result = await node
        .chat(
          [
            {
              role: 'user',
              content: [
                { type: 'image', image: new Uint8Array(sample) },
                { type: 'text', text: QUESTION },
              ],
            },
          ],
          {
            maxTiles: 2,
            maxNewTokens: 8,
          },
        )
        .result();
      expect(browserTokens).toEqual([...result.samples[0]!.tokenIds]);
    } finally {
      await node.dispose();
    }
    expect(await page.textContent('#answer-stats')).toMatch(/tokens\/s/);
    mkdirSync(join(appDir, '.cache'), { recursive: true });
    await page.screenshot({ path: join(appDir, '.cache', 'screenshot.png'), fullPage: true });
  }, 300_000);

  it('should show the sampled frames of a dropped video as a strip, and answer about it', async () => {
    const clip = join(appDir, '.cache', 'clip.webm');
    execFileSync('ffmpeg', [
      '-loglevel',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=320x240:rate=24',
      '-t',
      '2',
      '-c:v',
      'libvpx-vp9',
      clip,
    ]);
    await page.setInputFiles('#media-input', clip);
    await page.waitForFunction(
      () => ((globalThis as { __ivl?: { frameIndices: number[] } }).__ivl?.frameIndices.length ?? 0) > 0,
      undefined,
      {
        timeout: 60_000,
      },
    );
    const indices = await page.evaluate(
      () => (globalThis as { __ivl?: { frameIndices: number[] } }).__ivl!.frameIndices,
    );
    // The official sampling of 48 frames at 24 fps into 8 segments.
    expect(indices).toEqual(sampleFrameIndices({ frameCount: 48, fps: 24, segments: 8 }));
    expect(await page.locator('#frames canvas').count()).toBe(8);
    await askAndWait({ maxTiles: 1, maxNewTokens: 2 });
    await waitForPhase('ready');
    expect(await page.textContent('#answer-stats')).toMatch(/\(2048 image, /);
    // Back to the bundled picture for what follows.
    await page.setInputFiles('#media-input', join(appDir, 'public', 'sample.png'));
  }, 300_000);

  it('should stop a long answer within a second, and answer the next question', async () => {
    await askAndWait({ maxTiles: 1, maxNewTokens: 3000, temperature: 1 });
    await page.waitForFunction(
      () => (document.getElementById('answer')?.textContent?.length ?? 0) > 20,
      undefined,
      {
        timeout: 120_000,
      },
    );
    await page.click('#stop');
    await waitForPhase('ready', 5_000);
    // Measured in the page: from the click's handler to the answer's end.
    const stopMs = await page.evaluate(() => (globalThis as { __ivl?: { stopMs?: number } }).__ivl!.stopMs!);
    expect(stopMs).toBeLessThan(1000);
    expect(await page.textContent('#answer-stats')).toBe('Stopped.');
    await askAndWait({ maxTiles: 1, maxNewTokens: 4 });
    await waitForPhase('ready');
    expect(await page.textContent('#answer-stats')).toMatch(/4 generated/);
  }, 300_000);

  it('should load from the weight cache after a reload: no weight requests', async () => {
    const before = (await modelRequests()).length;
    await page.reload();
    await loadModel('wasm');
    const after = (await modelRequests()).slice(before);
    expect(after.filter((path) => /\.onnx(_data)?$|\.onnx_data/.test(path))).toEqual([]);
    expect(after).toContain('/models/tiny/ivl.json');
    // And the clear control empties it: the next load downloads the weights again.
    await page.click('#clear-cache');
    await page.waitForFunction(() =>
      document.getElementById('load-status')?.textContent?.startsWith('Weight cache cleared'),
    );
    const cleared = (await modelRequests()).length;
    await loadModel('wasm');
    expect((await modelRequests()).slice(cleared).some((path) => path.endsWith('.onnx'))).toBe(true);
  }, 300_000);

  it('should run on WebGPU where Chromium exposes an adapter', async (context) => {
    const adapter = await page.evaluate(async () => {
      const gpu = (navigator as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
      return gpu ? (await gpu.requestAdapter()) !== null : false;
    });
    if (!adapter) {
      context.skip('headless Chromium exposes no WebGPU adapter here (SwiftShader included)');
      return;
    }
    await loadModel('webgpu');
    expect(await page.getAttribute('#load-status', 'data-device')).toBe('webgpu');
    await askAndWait({ maxTiles: 1, maxNewTokens: 4 });
    await waitForPhase('ready');
    expect(await page.textContent('#answer-stats')).toMatch(/4 generated/);
  }, 300_000);

  it('should not have failed to load', async () => {
    expect(await phase()).not.toBe('failed');
  });
});
