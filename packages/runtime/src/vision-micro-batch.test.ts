import { createNodeBackend } from '@ivl/backend-node';
import { tinyModel } from '@ivl/test-models';
import { beforeAll, describe, expect, it } from 'vitest';
import { seeingBackend, syntheticImage } from './__fixtures__/test-helpers.js';
import { createRuntime } from './node/create-runtime.js';

describe('vision encoder runs per image', () => {
  let model: string;
  beforeAll(async () => {
    ({ model } = await tinyModel('tiny-qwen2'));
  }, 300_000);

  const chatAboutWideImage = async (options: { microBatchSize?: number }) => {
    const batches: number[] = [];
    const runtime = await createRuntime({
      model,
      // The vision encoder's batch sizes, as its runs see them.
      backend: seeingBackend(createNodeBackend({ device: 'cpu' }), {
        run: (feeds) => {
          if (feeds.pixel_values) batches.push(feeds.pixel_values.dims[0]!);
        },
      }),
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
