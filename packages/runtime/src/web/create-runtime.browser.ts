// Runs inside headless Chromium (bundled by @ivl/browser-test); see create-runtime.browser.test.ts.
import { createWebBackend } from '@ivl/backend-web';
import type { LoadProgressEvent } from '../load-model.js';
import { createRuntime } from './create-runtime.js';

export default async function run() {
  const events: LoadProgressEvent[] = [];
  const runtime = await createRuntime({
    model: { baseUrl: `${location.origin}/model/` },
    backend: createWebBackend({ device: 'wasm', wasmPaths: `${location.origin}/ort/` }),
    onProgress: (event) => events.push(event),
  });
  try {
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
    const requested = performance
      .getEntriesByType('resource')
      .map((entry) => new URL(entry.name).pathname)
      .filter((path) => path.startsWith('/model/'));
    return { events, tokens: result.samples[0]!.tokenIds, requested };
  } finally {
    await runtime.dispose();
  }
}
