import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  loadCheckpointWeights,
  pixelShuffleReference,
  projectorForward,
  ReferenceDecoder,
  readReferenceConfig,
  visionForward,
} from '@ivl/reference';
import { internvlQwen2Tokenizer, sentencePieceBpeTokenizer } from '@ivl/test-tokenizers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertCheckpoint } from './convert-checkpoint.js';
import { writeSyntheticCheckpoint } from './synthetic/write-synthetic-checkpoint.js';
import { modelPath, openSession, type Runtime } from './test-support/ort-runner.js';

// fp32 ONNX vs the float64 reference forward (DESIGN.md §4).
const TOLERANCE = 1e-4;
const STEPS = 16;
const root = mkdtempSync(join(tmpdir(), 'ivl-convert-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

function argmax(values: ArrayLike<number>, start = 0, length = values.length): number {
  let best = 0;
  for (let i = 1; i < length; i++) if (values[start + i]! > values[start + best]!) best = i;
  return best;
}

function seededPixels(count: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 4294967296) * 4 - 2; // roughly the range of normalized pixels
  }
  return out;
}

describe.each([
  ['tiny-qwen2', 'qwen2'],
  ['tiny-internlm2', 'internlm2'],
] as const)('convertCheckpoint (%s)', (preset, family) => {
  const checkpoint = join(root, `${preset}-hf`);
  const model = join(root, `${preset}-ivl`);
  let reference: ReturnType<typeof loadCheckpointWeights>;

  beforeAll(async () => {
    const tokenizer =
      family === 'qwen2' ? internvlQwen2Tokenizer() : withInternLM2Specials(sentencePieceBpeTokenizer());
    await writeSyntheticCheckpoint(checkpoint, preset, { seed: 7, tokenizer });
    await convertCheckpoint(checkpoint, model);
    reference = loadCheckpointWeights(checkpoint);
  }, 300_000);

  describe.each(['node', 'web'] as Runtime[])('on onnxruntime-%s', (runtime) => {
    it('should match the reference vision encoder and projector', async () => {
      const config = readReferenceConfig(reference.config);
      const tiles = 2;
      const plane = 3 * 448 * 448;
      const pixels = seededPixels(tiles * plane, 3);
      const vision = await openSession(runtime, modelPath(model, 'vision_encoder'));
      const { last_hidden_state: features } = await vision.run({
        pixel_values: { type: 'float32', dims: [tiles, 3, 448, 448], data: pixels },
      });
      expect(features!.dims).toEqual([tiles, 1024, config.vision.hidden]);
      const projector = await openSession(runtime, modelPath(model, 'projector'));
      const { image_embeds: embeds } = await projector.run({
        vision_features: { type: 'float32', dims: [tiles, 1024, config.vision.hidden], data: features!.data },
      });
      expect(embeds!.dims).toEqual([tiles, 256, config.llm.hidden]);
      const C = config.vision.hidden;
      for (let tile = 0; tile < tiles; tile++) {
        const expected = visionForward(
          config,
          reference.weights,
          pixels.subarray(tile * plane, (tile + 1) * plane),
        );
        expect(
          maxAbsDiff(features!.data.subarray(tile * 1024 * C, (tile + 1) * 1024 * C), expected),
        ).toBeLessThanOrEqual(TOLERANCE);
        const projected = projectorForward(config, reference.weights, pixelShuffleReference(expected, 32, C));
        const D = config.llm.hidden;
        expect(
          maxAbsDiff(embeds!.data.subarray(tile * 256 * D, (tile + 1) * 256 * D), projected),
        ).toBeLessThanOrEqual(TOLERANCE);
      }
      await vision.release();
      await projector.release();
    });

    it(`should match the reference decoder at prefill and at each of ${STEPS} KV-cached greedy steps`, async () => {
      const config = readReferenceConfig(reference.config);
      const { hidden: D, layers, kvHeads: KV, heads: H, vocab: V } = config.llm;
      const Dh = D / H;
      const embed = await openSession(runtime, modelPath(model, 'embed_tokens'));
      const decoder = await openSession(runtime, modelPath(model, 'decoder_model_merged'));
      const referenceDecoder = new ReferenceDecoder(config, reference.weights);
      const prompt =
        family === 'qwen2'
          ? [151644, 872, 198, 9707, 1879, 151645, 198, 151644, 77091, 198]
          : [1, 92543, 1495, 364, 9843, 92542, 364, 92543];
      let past = Array.from({ length: layers }, () => ({
        key: new Float32Array(0),
        value: new Float32Array(0),
      }));
      let pastLength = 0;
      let ids = prompt;
      const generated: number[] = [];
      const expectedTokens: number[] = [];
      for (let step = 0; step <= STEPS; step++) {
        const T = ids.length;
        const { inputs_embeds: embeds } = await embed.run({
          input_ids: { type: 'int64', dims: [1, T], data: BigInt64Array.from(ids.map(BigInt)) },
        });
        const referenceEmbeds = referenceDecoder.embed(ids);
        expect(maxAbsDiff(embeds!.data, referenceEmbeds)).toBe(0);
        const feeds: Parameters<typeof decoder.run>[0] = {
          inputs_embeds: { type: 'float32', dims: [1, T, D], data: embeds!.data },
          attention_mask: {
            type: 'int64',
            dims: [1, pastLength + T],
            data: new BigInt64Array(pastLength + T).fill(1n),
          },
          position_ids: {
            type: 'int64',
            dims: [1, T],
            data: BigInt64Array.from(ids.map((_, t) => BigInt(pastLength + t))),
          },
          num_logits_to_keep: { type: 'int64', dims: [], data: BigInt64Array.from([1n]) },
        };
        past.forEach((entry, i) => {
          feeds[`past_key_values.${i}.key`] = {
            type: 'float32',
            dims: [1, KV, pastLength, Dh],
            data: entry.key,
          };
          feeds[`past_key_values.${i}.value`] = {
            type: 'float32',
            dims: [1, KV, pastLength, Dh],
            data: entry.value,
          };
        });
        const outputs = await decoder.run(feeds);
        const logits = outputs.logits!;
        expect(logits.dims).toEqual([1, 1, V]);
        const expected = referenceDecoder.forward(
          referenceEmbeds,
          ids.map((_, t) => pastLength + t),
        );
        expect(maxAbsDiff(logits.data, expected.subarray((T - 1) * V))).toBeLessThanOrEqual(TOLERANCE);
        past = past.map((_, i) => ({
          key: outputs[`present.${i}.key`]!.data,
          value: outputs[`present.${i}.value`]!.data,
        }));
        pastLength += T;
        const next = argmax(logits.data);
        generated.push(next);
        expectedTokens.push(argmax(expected, (T - 1) * V, V));
        ids = [next];
      }
      expect(generated).toEqual(expectedTokens);
      await embed.release();
      await decoder.release();
    });
  });
});

/** The SentencePiece stand-in plus InternLM2's InternVL tokens at their real ids. */
function withInternLM2Specials(base: ReturnType<typeof sentencePieceBpeTokenizer>) {
  const json = structuredClone(base.json) as { added_tokens: object[] };
  const specials: [string, number][] = [
    ['<|im_end|>', 92542],
    ['<|im_start|>', 92543],
    ['<img>', 92544],
    ['</img>', 92545],
    ['<IMG_CONTEXT>', 92546],
  ];
  json.added_tokens = [
    ...json.added_tokens,
    ...specials.map(([content, id]) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
  ];
  return { json, config: base.config };
}
