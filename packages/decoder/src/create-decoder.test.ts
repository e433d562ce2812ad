import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createNodeBackend } from '@ivl/backend-node';
import { createWebBackend } from '@ivl/backend-web';
import {
  ContextOverflowError,
  createTensor,
  type InferenceBackend,
  type ModelManifest,
  ShapeMismatchError,
} from '@ivl/core';
import { loadCheckpointWeights, ReferenceDecoder, readReferenceConfig } from '@ivl/reference';
import { partSourceOf, tinyModel } from '@ivl/test-models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDecoder, type Decoder } from './create-decoder.js';

const TOLERANCE = 1e-4; // fp32 ONNX vs the float64 reference (DESIGN.md §4)
const FORK_TOLERANCE = 1e-5; // the same ONNX graph on the same inputs, cached vs not
const PROMPT = [151644, 872, 198, 9707, 1879, 151645, 198, 151644, 77091, 198];

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
};
const argmax = (values: ArrayLike<number>) => {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
};

// Each backend with both cache layouts: exact-length presents, and capacity buffers written in
// place (onnxruntime-node) or copied into (onnxruntime-web returns new presents); capacity buffers
// also, on onnxruntime-node (the runtime that keeps such buffers), with a model whose prefills and
// steps attend over them in place (GroupQueryAttention otherwise, at these tiny sizes; the convert
// tests run the in-place branches on onnxruntime-web too).
describe.each([
  ['ort-node cpu', false, () => createNodeBackend({ device: 'cpu' }), undefined],
  ['ort-node cpu', true, () => createNodeBackend({ device: 'cpu' }), undefined],
  ['ort-node cpu', true, () => createNodeBackend({ device: 'cpu' }), 0],
  ['ort-web wasm', false, () => createWebBackend({ device: 'wasm' }), undefined],
  ['ort-web wasm', true, () => createWebBackend({ device: 'wasm' }), undefined],
] as [string, boolean, () => InferenceBackend, number | undefined][])(
  'createDecoder on %s, pastCapacity %s, inPlaceAttentionMinBytes %s',
  (_, pastCapacity, createBackend, inPlaceAttentionMinBytes) => {
    let backend: InferenceBackend;
    let decoder: Decoder;
    let paths: { checkpoint: string; model: string };
    let manifest: ModelManifest;
    const make = async (maxContextTokens: number) =>
      createDecoder({
        embedSession: await backend.createSession(partSourceOf(paths.model, 'embed_tokens')),
        decoderSession: await backend.createSession(partSourceOf(paths.model, 'decoder_model_merged')),
        layers: manifest.dims.layers,
        kvHeads: manifest.dims.kvHeads,
        headDim: manifest.dims.headDim,
        hidden: manifest.dims.llmHidden,
        maxContextTokens,
        imageContextTokenId: manifest.tokens.imgContext,
        pastCapacity,
      });
    beforeAll(async () => {
      paths = await tinyModel('tiny-qwen2', { inPlaceAttentionMinBytes });
      manifest = JSON.parse(readFileSync(join(paths.model, 'ivl.json'), 'utf8'));
      backend = createBackend();
      decoder = await make(manifest.dims.maxPositionEmbeddings);
    }, 300_000);
    afterAll(() => backend.dispose());

    it('should match the reference at prefill and 8 KV-cached greedy steps', async () => {
      const reference = loadCheckpointWeights(paths.checkpoint);
      const config = readReferenceConfig(reference.config);
      const expectedDecoder = new ReferenceDecoder(config, reference.weights);
      const cache = decoder.createCache();
      let logits = await decoder.prefill(cache, PROMPT);
      let expected = expectedDecoder.forward(
        expectedDecoder.embed(PROMPT),
        PROMPT.map((__, t) => t),
      );
      const V = config.llm.vocab;
      expect(maxAbsDiff(logits, expected.subarray((PROMPT.length - 1) * V))).toBeLessThanOrEqual(TOLERANCE);
      for (let step = 0; step < 8; step++) {
        const token = argmax(logits);
        expect(token).toBe(argmax(expected.subarray(expected.length - V)));
        logits = await decoder.step(cache, token);
        expected = expectedDecoder.forward(expectedDecoder.embed([token]), [cache.length - 1]);
        expect(maxAbsDiff(logits, expected)).toBeLessThanOrEqual(TOLERANCE);
      }
      expect(cache.length).toBe(PROMPT.length + 8);
    });

    it('should match the reference across a growth of the cache buffers (past 256 rows)', async () => {
      const reference = loadCheckpointWeights(paths.checkpoint);
      const config = readReferenceConfig(reference.config);
      const expectedDecoder = new ReferenceDecoder(config, reference.weights);
      const prompt = Array.from({ length: 250 }, (__, i) => 1000 + ((i * 7919) % 50_000));
      const cache = decoder.createCache();
      let logits = await decoder.prefill(cache, prompt);
      const before = cache.pastFeeds()['past_key_values.0.key'];
      // The reference keeps its own cache: the prompt once, then a token at a time.
      let expected = expectedDecoder.forward(
        expectedDecoder.embed(prompt),
        prompt.map((__, t) => t),
        { lastOnly: true },
      );
      expect(maxAbsDiff(logits, expected)).toBeLessThanOrEqual(TOLERANCE);
      for (let step = 0; step < 10; step++) {
        const token = argmax(logits);
        logits = await decoder.step(cache, token);
        expected = expectedDecoder.forward(expectedDecoder.embed([token]), [cache.length - 1]);
        expect(maxAbsDiff(logits, expected)).toBeLessThanOrEqual(TOLERANCE);
      }
      const after = cache.pastFeeds()['past_key_values.0.key']!;
      if (pastCapacity) {
        // 260 rows outgrew the first 256-row buffers once; a step within capacity allocates nothing.
        expect(after.dims).toEqual([1, manifest.dims.kvHeads, 512, manifest.dims.headDim]);
        expect(before).not.toBe(after);
        await decoder.step(cache, 5);
        expect(cache.pastFeeds()['past_key_values.0.key']).toBe(after);
      } else {
        expect(after.dims[2]).toBe(260);
      }
    });

    it('should prefill a prompt longer than one run (in 256-token chunks) as the reference does', async () => {
      const reference = loadCheckpointWeights(paths.checkpoint);
      const config = readReferenceConfig(reference.config);
      const expectedDecoder = new ReferenceDecoder(config, reference.weights);
      const prompt = Array.from({ length: 600 }, (__, i) => 2000 + ((i * 104_729) % 90_000));
      const cache = decoder.createCache();
      const logits = await decoder.prefill(cache, prompt);
      const expected = expectedDecoder.forward(
        expectedDecoder.embed(prompt),
        prompt.map((__, t) => t),
        { lastOnly: true },
      );
      expect(maxAbsDiff(logits, expected)).toBeLessThanOrEqual(TOLERANCE);
      expect(cache.length).toBe(600);
      // The buffers for all three chunks were made once (not grown at 256 and 512 rows).
      if (pastCapacity) {
        expect(cache.bufferAllocations).toBe(1);
        expect(cache.pastFeeds()['past_key_values.0.key']!.dims[2]).toBe(768);
      }
    });

    it('should scatter image embeddings at <IMG_CONTEXT> positions as the reference does', async () => {
      const reference = loadCheckpointWeights(paths.checkpoint);
      const config = readReferenceConfig(reference.config);
      const D = config.llm.hidden;
      const ids = [151644, 872, 198, 151665, ...new Array(256).fill(151667), 151666, 198, 9707];
      const image = createTensor(
        'float32',
        [1, 256, D],
        Float32Array.from({ length: 256 * D }, (__, i) => Math.sin(i) * 0.5),
      );
      const logits = await decoder.prefill(decoder.createCache(), ids, { imageEmbeds: image });
      const expectedDecoder = new ReferenceDecoder(config, reference.weights);
      const embeds = expectedDecoder.embed(ids);
      ids.forEach((id, position) => {
        if (id === 151667)
          for (let c = 0; c < D; c++) embeds[position * D + c] = image.data[(position - 4) * D + c]!;
      });
      const expected = expectedDecoder.forward(
        embeds,
        ids.map((__, t) => t),
        { lastOnly: true },
      );
      expect(maxAbsDiff(logits, expected)).toBeLessThanOrEqual(TOLERANCE);
    });

    it('should refuse image embeddings that do not fill the <IMG_CONTEXT> tokens', async () => {
      const ids = [151665, ...new Array(256).fill(151667), 151666];
      const error = await decoder
        .prefill(decoder.createCache(), ids, { imageEmbeds: createTensor('float32', [2, 256, 64]) })
        .catch((e: unknown) => e);
      expect(ShapeMismatchError.isInstance(error)).toBe(true);
      expect((error as Error).message).toMatch(
        /has 256 <IMG_CONTEXT> tokens but the image embeddings \[2, 256, 64\] fill 512/,
      );
      await expect(decoder.prefill(decoder.createCache(), ids)).rejects.toThrow(/fill 0/);
    });

    it('should continue a forked cache exactly as a fresh prefill of the same tokens', async () => {
      const base = decoder.createCache();
      await decoder.prefill(base, PROMPT);
      const fork = base.fork();
      const a = await decoder.step(base, 40);
      const b = await decoder.step(fork, 41);
      expect(base.tokens.at(-1)).toBe(40);
      expect(fork.tokens.at(-1)).toBe(41);
      expect(
        maxAbsDiff(a, await decoder.prefill(decoder.createCache(), [...PROMPT, 40])),
      ).toBeLessThanOrEqual(FORK_TOLERANCE);
      expect(
        maxAbsDiff(b, await decoder.prefill(decoder.createCache(), [...PROMPT, 41])),
      ).toBeLessThanOrEqual(FORK_TOLERANCE);
      fork.dispose();
      expect(base.length).toBe(PROMPT.length + 1);
    });

    it('should rewind a cache with truncate and continue as a fresh prefill', async () => {
      const cache = decoder.createCache();
      await decoder.prefill(cache, [...PROMPT, 11, 12, 13]);
      await cache.truncate(PROMPT.length);
      expect(cache.tokens).toEqual(PROMPT);
      const rewound = await decoder.prefill(cache, [21, 22]);
      const fresh = await decoder.prefill(decoder.createCache(), [...PROMPT, 21, 22]);
      expect(maxAbsDiff(rewound, fresh)).toBeLessThanOrEqual(FORK_TOLERANCE);
      await expect(cache.truncate(99)).rejects.toThrow(/Can truncate to 0…12 tokens, got 99/);
    });

    it('should refuse a prompt longer than the context with the numbers', async () => {
      const small = await make(12);
      const cache = small.createCache();
      await small.prefill(cache, PROMPT);
      const error = await small.prefill(cache, [1, 2, 3]).catch((e: unknown) => e);
      expect(ContextOverflowError.isInstance(error)).toBe(true);
      expect((error as Error).message).toMatch(
        /needs 13 tokens but the model holds 12 \(over by 1\)\. Use fewer image tiles/,
      );
      await expect(small.step(cache, 1)).resolves.toBeInstanceOf(Float32Array); // 11 tokens
      await expect(small.step(cache, 1)).resolves.toBeInstanceOf(Float32Array); // 12: full
      await expect(small.step(cache, 1)).rejects.toThrow(ContextOverflowError);
    });
  },
);
