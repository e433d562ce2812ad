// Runs inside headless Chromium (bundled by @ivl/browser-test); see create-decoder.browser.test.ts.
import { createWebBackend, type WebDevice } from '@ivl/backend-web';
import { createDecoder } from './index.js';

const PROMPT = [151644, 872, 198, 9707, 1879, 151645, 198, 151644, 77091, 198];

function top(logits: Float32Array) {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
  return { argmax: best, head: Array.from(logits.subarray(0, 16)), best: logits[best]! };
}

export default async function run(base: string) {
  const results: Record<string, unknown> = {};
  for (const device of ['wasm', 'webgpu'] as WebDevice[]) {
    const backend = createWebBackend({ device, wasmPaths: `${location.origin}/ort/` });
    try {
      await backend.init();
      // Each part's weights are in one external-data file beside it (the tiny model's ivl.json lists them).
      const part = (name: string) => ({
        model: `${base}${name}.onnx`,
        externalData: [{ path: `${name}.onnx_data`, data: `${base}${name}.onnx_data` }],
      });
      const presentNames = [0, 1].flatMap((layer) => [`present.${layer}.key`, `present.${layer}.value`]);
      const decoder = createDecoder({
        embedSession: await backend.createSession(part('embed_tokens')),
        decoderSession: await backend.createSession(part('decoder_model_merged'), {
          deviceOutputs: presentNames,
        }),
        layers: 2,
        kvHeads: 2,
        headDim: 16,
        hidden: 64,
        maxContextTokens: 32768,
        imageContextTokenId: 151667,
      });
      const cache = decoder.createCache();
      const steps = [top(await decoder.prefill(cache, PROMPT))];
      const kvLocation = (() => {
        const feed = cache.pastFeeds()['past_key_values.0.key']!;
        return 'kind' in feed ? feed.location : 'cpu';
      })();
      const fork = cache.fork();
      for (let step = 0; step < 4; step++) steps.push(top(await decoder.step(cache, steps.at(-1)!.argmax)));
      // The fork still holds the prefill: continuing it with the same token matches step 1.
      const forked = top(await decoder.step(fork, steps[0]!.argmax));
      await cache.truncate(PROMPT.length);
      const rewound = top(await decoder.step(cache, steps[0]!.argmax));
      fork.dispose();
      cache.dispose();
      results[device] = { capabilities: backend.capabilities, kvLocation, steps, forked, rewound };
    } catch (error) {
      results[device] = { error: `${(error as Error).name}: ${(error as Error).message}` };
    } finally {
      await backend.dispose();
    }
  }
  return results;
}
