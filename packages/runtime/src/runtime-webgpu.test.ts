import { createNodeBackend } from '@ivl/backend-node';
import type { DeviceTensor, InferenceBackend, Tensor } from '@ivl/core';
import { tinyModel } from '@ivl/test-models';
import { useSoftwareWebGpu } from '@ivl/test-models/software-webgpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticImage } from './__fixtures__/test-helpers.js';
import { loadModel } from './load-model.js';
import { createRuntime } from './node/create-runtime.js';
import { modelStoreFromDirectory } from './node/directory-store.js';

// onnxruntime-node's WebGPU device without a GPU: SwiftShader on the CPU (a real adapter with IVL_GPU).
const adapter = useSoftwareWebGpu();
// WebGPU float arithmetic (fused kernels, other summation orders) against the CPU's.
const DEVICE_TOLERANCE = 1e-3;
const PROMPT = [151644, 872, 198, 9707, 1879, 151645, 198, 151644, 77091, 198];

function top(logits: Float32Array) {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
  return { argmax: best, head: Array.from(logits.subarray(0, 16)), best: logits[best]! };
}
type Top = ReturnType<typeof top>;

/** loadModel's decoder on a backend: a prefill and 4 greedy steps, a fork and a rewind. */
async function decodeOn(model: string, backend: InferenceBackend) {
  const loaded = await loadModel(modelStoreFromDirectory(model), backend);
  try {
    const { decoder } = loaded;
    const cache = decoder.createCache();
    const steps = [top(await decoder.prefill(cache, PROMPT))];
    // pastFeeds is the decoder's internal accessor (not in its typings): where the cache lies.
    const internal = cache as unknown as { pastFeeds(): Record<string, Tensor | DeviceTensor> };
    const past = internal.pastFeeds()['past_key_values.0.key']!;
    const kvLocation = 'kind' in past ? past.location : 'cpu';
    const fork = cache.fork();
    for (let step = 0; step < 4; step++) steps.push(top(await decoder.step(cache, steps.at(-1)!.argmax)));
    // The fork still holds the prefill: continuing it with the same token gives step 1 again.
    const forked = top(await decoder.step(fork, steps[0]!.argmax));
    await cache.truncate(PROMPT.length);
    const rewound = top(await decoder.step(cache, steps[0]!.argmax));
    fork.dispose();
    cache.dispose();
    return { kvLocation, steps, forked, rewound };
  } finally {
    await loaded.dispose();
    await backend.dispose();
  }
}

const expectClose = (actual: Top, expected: Top) => {
  expect(actual.argmax).toBe(expected.argmax);
  for (const [i, value] of actual.head.entries()) {
    expect(Math.abs(value - expected.head[i]!)).toBeLessThanOrEqual(DEVICE_TOLERANCE);
  }
};

describe.runIf(adapter)(`the runtime on ort-node webgpu (${adapter})`, () => {
  let model: string;
  beforeAll(async () => {
    ({ model } = await tinyModel('tiny-qwen2'));
  }, 300_000);

  it('should keep the KV cache in GPU buffers and decode as on the CPU, forks and rewinds too', async () => {
    const cpu = await decodeOn(model, createNodeBackend({ device: 'cpu' }));
    const gpu = await decodeOn(model, createNodeBackend({ device: 'webgpu' }));
    expect(cpu.kvLocation).toBe('cpu');
    expect(gpu.kvLocation).toBe('gpu-buffer');
    expect(gpu.steps.length).toBe(cpu.steps.length);
    for (const [i, step] of gpu.steps.entries()) expectClose(step, cpu.steps[i]!);
    expectClose(gpu.forked, gpu.steps[1]!);
    expectClose(gpu.rewound, gpu.steps[1]!);
  });

  describe('a chat with an image', () => {
    const runtimes: { cpu?: Awaited<ReturnType<typeof createRuntime>>; gpu?: typeof runtimes.cpu } = {};
    beforeAll(async () => {
      runtimes.cpu = await createRuntime({ model, backend: createNodeBackend({ device: 'cpu' }) });
      runtimes.gpu = await createRuntime({ model, backend: createNodeBackend({ device: 'webgpu' }) });
    }, 300_000);
    afterAll(async () => {
      await runtimes.cpu?.dispose();
      await runtimes.gpu?.dispose();
    });

    it('should answer with the CPU greedy tokens, and again from the reused cache on a follow-up', async () => {
      const first = [
        {
          role: 'user' as const,
          content: [
            { type: 'image' as const, image: syntheticImage(200, 160, 3), maxTiles: 1 },
            { type: 'text' as const, text: 'What is in the picture?' },
          ],
        },
      ];
      const answers = async (runtime: NonNullable<typeof runtimes.cpu>) => {
        const answer = await runtime.chat(first, { maxNewTokens: 8 }).result();
        const followUp = [
          ...first,
          { role: 'assistant' as const, content: answer.text },
          { role: 'user' as const, content: 'And the colours?' },
        ];
        const next = await runtime.chat(followUp, { maxNewTokens: 4 }).result();
        return { answer, next };
      };
      const cpu = await answers(runtimes.cpu!);
      const gpu = await answers(runtimes.gpu!);
      expect(runtimes.gpu!.backend.capabilities).toMatchObject({
        device: 'webgpu',
        deviceResidentOutputs: true,
      });
      expect(gpu.answer.samples[0]!.tokenIds).toEqual(cpu.answer.samples[0]!.tokenIds);
      expect(gpu.next.usage.reusedTokens).toBeGreaterThan(256);
      expect(gpu.next.samples[0]!.tokenIds).toEqual(cpu.next.samples[0]!.tokenIds);
    });
  });
});
