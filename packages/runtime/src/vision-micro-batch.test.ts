import { createNodeBackend } from '@ivl/backend-node';
import type { InferenceBackend, TensorMap } from '@ivl/core';
import { tinyModel } from '@ivl/test-models';
import { beforeAll, describe, expect, it } from 'vitest';
import { syntheticImage } from './__fixtures__/test-helpers.js';
import { createRuntime } from './node/create-runtime.js';

/** The real backend, its sessions' runs seen on the way: the vision encoder's batch sizes. */
function seeingVisionBatches(inner: InferenceBackend, batches: number[]): InferenceBackend {
  return {
    specificationVersion: inner.specificationVersion,
    name: inner.name,
    init: () => inner.init(),
    get capabilities() {
      return inner.capabilities;
    },
    dispose: () => inner.dispose(),
    async createSession(model, options) {
      const session = await inner.createSession(model, options);
      return {
        inputNames: session.inputNames,
        outputNames: session.outputNames,
        run(feeds: TensorMap, runOptions) {
          const pixels = feeds.pixel_values;
          if (pixels) batches.push(pixels.dims[0]!);
          return session.run(feeds, runOptions);
        },
        dispose: () => session.dispose(),
      };
    },
  };
}

describe('vision encoder runs per image', () => {
  let model: string;
  beforeAll(async () => {
    ({ model } = await tinyModel('tiny-qwen2'));
  }, 300_000);

  const chatAboutWideImage = async (options: { microBatchSize?: number }) => {
    const batches: number[] = [];
    const runtime = await createRuntime({
      model,
      backend: seeingVisionBatches(createNodeBackend({ device: 'cpu' }), batches),
      ...options,
    });
    try {
      const result = await runtime
        .chat(
          [
            {
              role: 'user',
              content: [
                { type: 'image', image: syntheticImage(400, 100, 5), maxTiles: 4 },
                { type: 'text', text: 'What is in the picture?' },
              ],
            },
          ],
          { maxNewTokens: 1 },
        )
        .result();
      return { batches, tiles: result.usage.imageTokens / 256 };
    } finally {
      await runtime.dispose();
    }
  };

  it('should run one tile at a time on a CPU, where four at once are no faster and hold four tiles of activations', async () => {
    const { batches, tiles } = await chatAboutWideImage({});
    expect(tiles).toBe(5);
    expect(batches).toEqual([1, 1, 1, 1, 1]);
  });

  it('should run the micro-batch asked for', async () => {
    const { batches } = await chatAboutWideImage({ microBatchSize: 4 });
    expect(batches).toEqual([4, 1]);
  });
});
