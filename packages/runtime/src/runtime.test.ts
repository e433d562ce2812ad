import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNodeBackend } from '@ivl/backend-node';
import { createWebBackend } from '@ivl/backend-web';
import {
  AbortedError,
  ContextOverflowError,
  createTensor,
  ImageDecodeError,
  type InferenceBackend,
  ModelLoadError,
  type ModelPart,
} from '@ivl/core';
import { createDecoder } from '@ivl/decoder';
import { projectEmbeddings } from '@ivl/projector';
import { buildPrompt } from '@ivl/prompt';
import { loadTokenizer } from '@ivl/prompt/node';
import { partSourceOf, tinyModel } from '@ivl/test-models';
import { tileImage } from '@ivl/tiling';
import { encodeImages } from '@ivl/vision-encoder';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { editedModel, referenceGreedyTokens, syntheticImage } from './__fixtures__/test-helpers.js';
import type { ChatEvent } from './chat-types.js';
import { createRuntime } from './node/create-runtime.js';
import type { Runtime } from './runtime.js';

const root = mkdtempSync(join(tmpdir(), 'ivl-runtime-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const argmax = (values: ArrayLike<number>) => {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
};

const image = syntheticImage(200, 160, 3);
const question = 'What is in the picture?';
const MAX_NEW = 8;

describe.each([
  ['tiny-qwen2', 'ort-node cpu', () => createNodeBackend({ device: 'cpu' })],
  ['tiny-qwen2', 'ort-web wasm', () => createWebBackend({ device: 'wasm' })],
  ['tiny-internlm2', 'ort-node cpu', () => createNodeBackend({ device: 'cpu' })],
  ['tiny-internlm2', 'ort-web wasm', () => createWebBackend({ device: 'wasm' })],
] as ['tiny-qwen2' | 'tiny-internlm2', string, () => InferenceBackend][])(
  'runtime.chat on %s with %s',
  (preset, _, createBackend) => {
    let runtime: Runtime;
    let paths: { checkpoint: string; model: string };
    beforeAll(async () => {
      paths = await tinyModel(preset);
      runtime = await createRuntime({ model: paths.model, backend: createBackend() });
    }, 300_000);
    afterAll(() => runtime.dispose());

    it('should give the same greedy tokens as a hand-wired pipeline of the stage packages and as the reference forward', async () => {
      const messages = [
        {
          role: 'user' as const,
          content: [
            { type: 'image' as const, image, maxTiles: 1 },
            { type: 'text' as const, text: question },
          ],
        },
      ];
      const events: ChatEvent[] = [];
      for await (const event of runtime.chat(messages, { maxNewTokens: MAX_NEW })) events.push(event);
      const done = events.at(-1)!;
      expect(done.type).toBe('done');
      if (done.type !== 'done') return;
      expect(events[0]).toMatchObject({ type: 'image-encoded', images: 1, tiles: 1 });
      expect(done.usage.imageTokens).toBe(256);
      const runtimeTokens = done.samples[0]!.tokenIds;

      // By hand, from the stage packages.
      const backend = runtime.backend;
      const manifest = runtime.manifest;
      const session = (part: ModelPart) => backend.createSession(partSourceOf(paths.model, part));
      const tiled = tileImage(image, { maxTiles: 1 });
      const features = await encodeImages(await session('vision_encoder'), tiled.pixelValues);
      const embeds = await projectEmbeddings(await session('projector'), features);
      const tokenizer = await loadTokenizer(paths.model, { family: manifest.family });
      const ids = tokenizer.encode(buildPrompt({ question, images: [1] }).text);
      const decoder = createDecoder({
        embedSession: await session('embed_tokens'),
        decoderSession: await session('decoder_model_merged'),
        layers: manifest.dims.layers,
        kvHeads: manifest.dims.kvHeads,
        headDim: manifest.dims.headDim,
        hidden: manifest.dims.llmHidden,
        maxContextTokens: manifest.dims.maxPositionEmbeddings,
        imageContextTokenId: manifest.tokens.imgContext,
      });
      const cache = decoder.createCache();
      let logits = await decoder.prefill(cache, ids, { imageEmbeds: embeds });
      const byHand: number[] = [];
      for (let step = 0; step < MAX_NEW; step++) {
        const token = argmax(logits);
        byHand.push(token);
        if (token === manifest.tokens.imEnd) break;
        logits = await decoder.step(cache, token);
      }
      expect(runtimeTokens).toEqual(byHand);

      // And from the float64 reference forward of the checkpoint.
      const expected = referenceGreedyTokens(
        paths.checkpoint,
        ids,
        tiled.pixelValues.data as Float32Array,
        manifest.tokens,
        MAX_NEW,
      );
      expect(runtimeTokens).toEqual(expected);
    });

    it('should reuse the KV cache and the encoded image on a follow-up, with the tokens of a fresh full prompt', async () => {
      runtime.reset();
      const first = [
        {
          role: 'user' as const,
          content: [
            { type: 'image' as const, image, maxTiles: 1 },
            { type: 'text' as const, text: question },
          ],
        },
      ];
      const answer = await runtime.chat(first, { maxNewTokens: 4 }).text();
      const tilesBefore = runtime.stats.encodedTiles;
      const prefillTokensBefore = runtime.stats.prefillTokens;
      const followUp = [
        ...first,
        { role: 'assistant' as const, content: answer },
        { role: 'user' as const, content: 'And the colours?' },
      ];
      const reused = await runtime.chat(followUp, { maxNewTokens: 4 }).result();
      expect(runtime.stats.encodedTiles).toBe(tilesBefore);
      expect(reused.usage.reusedTokens).toBeGreaterThan(256);
      expect(runtime.stats.prefillTokens - prefillTokensBefore).toBe(
        reused.usage.promptTokens - reused.usage.reusedTokens,
      );
      runtime.reset();
      const fresh = await runtime.chat(followUp, { maxNewTokens: 4 }).result();
      expect(fresh.usage.reusedTokens).toBe(0);
      expect(reused.samples[0]!.tokenIds).toEqual(fresh.samples[0]!.tokenIds);
    });
  },
);

describe('runtime on tiny-qwen2 (node cpu)', () => {
  let runtime: Runtime;
  let paths: { checkpoint: string; model: string };
  beforeAll(async () => {
    paths = await tinyModel('tiny-qwen2');
    runtime = await createRuntime({ model: paths.model, backend: createNodeBackend() });
  }, 300_000);
  afterAll(() => runtime.dispose());

  it('should lay out several images as Image-k blocks with the tile budget shared out', async () => {
    const prepared = await runtime.preparePrompt(
      [
        {
          role: 'user',
          content: [
            { type: 'image', image: syntheticImage(900, 450, 1) },
            { type: 'image', image: syntheticImage(300, 600, 2) },
            { type: 'text', text: 'Compare.' },
          ],
        },
      ],
      { maxTiles: 4 },
    );
    expect(prepared.numTilesList).toEqual([3, 3]); // max(1, floor(4 / 2)) = 2 tiles each: 2×1 or 1×2 grids + thumbnail
    expect(prepared.text).toMatch(
      /<\|im_start\|>user\nImage-1: <img>(<IMG_CONTEXT>){768}<\/img>\nImage-2: <img>(<IMG_CONTEXT>){768}<\/img>\nCompare\.<\|im_end\|>/,
    );
    expect(prepared.ids.filter((id) => id === 151667)).toHaveLength(1536);
  });

  it('should lay out a video as Frame-k lines of one tile each', async () => {
    const video = join(root, 'clip.mp4');
    execFileSync('ffmpeg', [
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=duration=2:size=320x240:rate=15',
      '-c:v',
      'libx264',
      video,
    ]);
    const prepared = await runtime.preparePrompt([
      {
        role: 'user',
        content: [
          { type: 'video', video, frames: 3 },
          { type: 'text', text: 'What moves?' },
        ],
      },
    ]);
    expect(prepared.numTilesList).toEqual([1, 1, 1]);
    expect(prepared.text).toMatch(
      /user\nFrame1: <img>(<IMG_CONTEXT>){256}<\/img>\nFrame2: <img>(<IMG_CONTEXT>){256}<\/img>\nFrame3: <img>(<IMG_CONTEXT>){256}<\/img>\nWhat moves\?/,
    );
    const result = await runtime
      .chat(
        [
          {
            role: 'user',
            content: [
              { type: 'video', video, frames: 3 },
              { type: 'text', text: 'What moves?' },
            ],
          },
        ],
        { maxNewTokens: 2 },
      )
      .result();
    expect(result.usage.imageTokens).toBe(768);
  });

  it('should draw all votes from one prefill and majority-vote their answers', async () => {
    runtime.reset();
    const before = runtime.stats.prefillCalls;
    const result = await runtime
      .chat([{ role: 'user', content: 'Which option?\nA. one\nB. two' }], {
        votes: 3,
        temperature: 1,
        topK: 0,
        seed: 5,
        maxNewTokens: 6,
        reasoning: 'cot',
      })
      .result();
    expect(runtime.stats.prefillCalls - before).toBe(1);
    expect(result.samples).toHaveLength(3);
    expect(result.vote).toBeDefined();
    expect(result.usage.generatedTokens).toBe(result.samples.reduce((sum, s) => sum + s.tokenIds.length, 0));
    const prompt = await runtime.preparePrompt([{ role: 'user', content: 'Which option?\nA. one\nB. two' }], {
      reasoning: 'cot',
    });
    expect(prompt.text).toContain("'Answer: \\boxed{$LETTER}'");
  });

  it('should stop promptly when aborted mid-generation and stay usable', async () => {
    const controller = new AbortController();
    const started = performance.now();
    let deltas = 0;
    const error = await (async () => {
      for await (const event of runtime.chat([{ role: 'user', content: 'Tell a long story.' }], {
        maxNewTokens: 500,
        bannedTokenIds: [151645],
        signal: controller.signal,
      })) {
        if (event.type === 'token-delta' && ++deltas === 2) controller.abort('enough');
      }
    })().catch((e: unknown) => e);
    expect(AbortedError.isInstance(error)).toBe(true);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(deltas).toBeLessThan(5);
    await expect(
      runtime.chat([{ role: 'user', content: 'Hi' }], { maxNewTokens: 2 }).text(),
    ).resolves.toBeTypeOf('string');
  });

  it('should give typed, actionable errors', async () => {
    const missing = await createRuntime({ model: join(root, 'nowhere'), backend: createNodeBackend() }).catch(
      (e: unknown) => e,
    );
    expect(ModelLoadError.isInstance(missing)).toBe(true);
    const old = editedModel(root, paths.model, 'old-format', (manifest) => {
      manifest.formatVersion = 99;
    });
    await expect(createRuntime({ model: old, backend: createNodeBackend() })).rejects.toThrow(
      /converted for model format 99, but this ivl reads format 2\. Convert the checkpoint again/,
    );
    const unreadable = await runtime
      .chat([
        {
          role: 'user',
          content: [
            { type: 'image', image: new Uint8Array([1, 2, 3]) },
            { type: 'text', text: 'x' },
          ],
        },
      ])
      .text()
      .catch((e: unknown) => e);
    expect(ImageDecodeError.isInstance(unreadable)).toBe(true);
    const small = await createRuntime({
      model: editedModel(root, paths.model, 'short-context', (manifest) => {
        manifest.dims.maxPositionEmbeddings = 600;
      }),
      backend: createNodeBackend(),
    });
    const overflow = await small
      .chat([
        {
          role: 'user',
          content: [
            { type: 'image', image: syntheticImage(900, 450, 1) },
            { type: 'text', text: 'x' },
          ],
        },
      ])
      .text()
      .catch((e: unknown) => e);
    expect(ContextOverflowError.isInstance(overflow)).toBe(true);
    expect((overflow as Error).message).toMatch(
      /needs \d+ tokens but the model holds 600 \(over by \d+\)\. The prompt alone has \d+ tokens, 768 of them image tokens\. Use fewer tiles/,
    );
    await small.dispose();
    void createTensor;
  });

  it('should convert a Hugging Face checkpoint directory on first load, into the cache', async () => {
    const events: string[] = [];
    const converted = await createRuntime({
      model: paths.checkpoint,
      backend: createNodeBackend(),
      cacheDirectory: join(root, 'cache'),
      onProgress: (event) => events.push(event.type),
    });
    expect(events).toContain('convert');
    expect(events.filter((type) => type === 'load')).toHaveLength(4);
    const text = await converted.chat([{ role: 'user', content: 'Hi' }], { maxNewTokens: 3 }).text();
    expect(text).toBe(await runtime.chat([{ role: 'user', content: 'Hi' }], { maxNewTokens: 3 }).text());
    await converted.dispose();
  });
});
