import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNodeBackend } from '@ivl/backend-node';
import { createWebBackend } from '@ivl/backend-web';
import {
  AbortedError,
  ContextOverflowError,
  DisposedError,
  type InferenceBackend,
  InvalidArgumentError,
} from '@ivl/core';
import { tinyModel } from '@ivl/test-models';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { editedModel, syntheticImage } from './__fixtures__/test-helpers.js';
import type { ChatMessage } from './messages.js';
import { createRuntime } from './node/create-runtime.js';
import type { Runtime } from './runtime.js';

const root = mkdtempSync(join(tmpdir(), 'ivl-runtime-correctness-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const ask = (image: unknown, text = 'What is in the picture?'): ChatMessage[] => [
  {
    role: 'user',
    content: [
      { type: 'image', image, maxTiles: 1 },
      { type: 'text', text },
    ],
  },
];
// Plain black and plain white: on the tiny random-weight model they lead to different answers
// from the first token (two noise images of one gradient do not).
const flat = (value: number) => ({
  width: 200,
  height: 160,
  data: new Uint8Array(200 * 160 * 3).fill(value),
});
const imageA = flat(0);
const imageB = flat(255);

describe.each([
  ['ort-node cpu', () => createNodeBackend({ device: 'cpu' })],
  ['ort-web wasm', () => createWebBackend({ device: 'wasm' })],
] as [string, () => InferenceBackend][])('runtime on tiny-qwen2 with %s', (_, createBackend) => {
  let runtime: Runtime;
  let fresh: Runtime;
  beforeAll(async () => {
    const { model } = await tinyModel('tiny-qwen2');
    runtime = await createRuntime({ model, backend: createBackend() });
    fresh = await createRuntime({ model, backend: createBackend() });
  }, 300_000);
  afterAll(async () => {
    await runtime.dispose();
    await fresh.dispose();
  });

  it('should answer a new chat about a different image of the same tile count about that image', async () => {
    const tokens = async (on: Runtime, image: unknown) =>
      (await on.chat(ask(image), { maxNewTokens: 6 }).result()).samples[0]!.tokenIds;
    const aloneA = await tokens(fresh, imageA);
    fresh.reset();
    const aloneB = await tokens(fresh, imageB);
    // The two images must lead the model to different answers, or this test could not fail.
    expect(aloneB).not.toEqual(aloneA);

    runtime.reset();
    expect(await tokens(runtime, imageA)).toEqual(aloneA);
    const afterA = await runtime.chat(ask(imageB), { maxNewTokens: 6 }).result();
    expect(afterA.samples[0]!.tokenIds).toEqual(aloneB);
    // Only the text before the image block is reused: the system message and `user\n`.
    expect(afterA.usage.reusedTokens).toBeGreaterThan(0);
    expect(afterA.usage.reusedTokens).toBeLessThan(afterA.usage.promptTokens - 256);
  });
});

describe('runtime on tiny-qwen2 (node cpu): caches, calls and limits', () => {
  let runtime: Runtime;
  let model: string;
  const backend = createNodeBackend({ device: 'cpu' });
  beforeAll(async () => {
    ({ model } = await tinyModel('tiny-qwen2'));
    runtime = await createRuntime({ model, backend });
  }, 300_000);
  afterAll(() => runtime.dispose());

  it('should encode again an image overwritten in place, with its new tile count', async () => {
    const upload = join(root, 'upload.png');
    const png = (image: { width: number; height: number; data: Uint8Array }) =>
      sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
        .png()
        .toBuffer();
    const messages: ChatMessage[] = [
      {
        role: 'user',
        content: [
          { type: 'image', image: upload },
          { type: 'text', text: 'Describe.' },
        ],
      },
    ];
    writeFileSync(upload, await png(imageA));
    const first = await runtime.preparePrompt(messages, { maxTiles: 6 });
    await runtime.chat(messages, { maxNewTokens: 2, maxTiles: 6 }).result();
    writeFileSync(upload, await png(syntheticImage(900, 300, 5)));
    const encodedBefore = runtime.stats.encodedTiles;
    const second = await runtime.chat(messages, { maxNewTokens: 2, maxTiles: 6 }).result();
    const prepared = await runtime.preparePrompt(messages, { maxTiles: 6 });
    expect(first.numTilesList).toEqual([1]);
    expect(prepared.numTilesList).toEqual([4]); // 900×300 at 6 tiles: a 3×1 grid + thumbnail
    expect(runtime.stats.encodedTiles - encodedBefore).toBe(4);
    expect(second.usage.imageTokens).toBe(4 * 256);
  });

  it('should keep the media cache within its byte budget over many distinct images', async () => {
    const perTile = 256 * runtime.manifest.dims.llmHidden * 4;
    const small = await createRuntime({ model, backend, mediaCacheBytes: 3 * perTile });
    try {
      for (let seed = 100; seed < 112; seed++) {
        await small.chat(ask(syntheticImage(64, 64, seed)), { maxNewTokens: 1 }).result();
        expect(small.stats.mediaCacheBytes).toBeLessThanOrEqual(3 * perTile);
      }
      expect(small.stats.mediaCacheMisses).toBe(12);
      expect(small.stats.mediaCacheBytes).toBe(3 * perTile);
      // The most recent image is still there; the first was evicted.
      // (Another system message, so the image is not simply reused from the KV cache.)
      const other = { maxNewTokens: 1, systemMessage: 'Another system message.' };
      await small.chat(ask(syntheticImage(64, 64, 111)), other).result();
      expect(small.stats.mediaCacheHits).toBe(1);
      const encoded = small.stats.encodedTiles;
      await small.chat(ask(syntheticImage(64, 64, 100)), other).result();
      expect(small.stats.encodedTiles).toBe(encoded + 1);
      // The same pixels under another name (bytes, not a path) hit the cache.
      small.reset();
      const bytes = await sharp(imageA.data, { raw: { width: 200, height: 160, channels: 3 } })
        .png()
        .toBuffer();
      await small.chat(ask(new Uint8Array(bytes)), { maxNewTokens: 1 }).result();
      const hits = small.stats.mediaCacheHits;
      await small.chat(ask(imageA), other).result();
      expect(small.stats.mediaCacheHits).toBe(hits + 1);
    } finally {
      await small.dispose();
    }
  });

  it('should keep several conversations resident with conversationSlots, reusing each one’s prefix', async () => {
    const pooled = await createRuntime({ model, backend, conversationSlots: 2 });
    try {
      const first = (image: unknown): ChatMessage[] => ask(image, 'Describe it.');
      const a = await pooled.chat(first(imageA), { maxNewTokens: 3 }).text();
      await pooled.chat(first(imageB), { maxNewTokens: 3 }).result();
      expect(pooled.stats.conversations).toBe(2);
      const followUp = await pooled
        .chat([...first(imageA), { role: 'assistant', content: a }, { role: 'user', content: 'More?' }], {
          maxNewTokens: 3,
        })
        .result();
      // A's conversation was still there, image block included, after B's; the follow-up took its
      // place rather than a third slot.
      expect(followUp.usage.reusedTokens).toBeGreaterThan(256);
      expect(pooled.stats.conversations).toBe(2);
    } finally {
      await pooled.dispose();
    }
  });

  it('should not let a stream that is never read, or returned unread, hold up the next call', async () => {
    const unread = runtime.chat([{ role: 'user', content: 'Hello?' }], { maxNewTokens: 2 });
    const returned = runtime.chat([{ role: 'user', content: 'Hello?' }], { maxNewTokens: 2 });
    await returned[Symbol.asyncIterator]().return?.(undefined);
    await expect(
      runtime.chat([{ role: 'user', content: 'Hi' }], { maxNewTokens: 2 }).text(),
    ).resolves.toBeTypeOf('string');
    // The unread one still runs when it is read at last.
    await expect(unread.text()).resolves.toBeTypeOf('string');
  });

  it('should let a queued call leave on its AbortSignal while another runs', async () => {
    const long = runtime.chat([{ role: 'user', content: 'Tell a long story.' }], {
      maxNewTokens: 60,
      bannedTokenIds: [runtime.manifest.tokens.imEnd],
    });
    const iterator = long[Symbol.asyncIterator]();
    await iterator.next(); // the long call now holds the turn
    const controller = new AbortController();
    const queued = runtime.chat([{ role: 'user', content: 'Hi' }], { signal: controller.signal }).text();
    const settled = queued.catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(runtime.stats.queuedCalls).toBe(1);
    const started = performance.now();
    controller.abort('changed my mind');
    const error = await settled;
    expect(AbortedError.isInstance(error)).toBe(true);
    expect(performance.now() - started).toBeLessThan(100);
    expect(runtime.stats.queuedCalls).toBe(0);
    await iterator.return?.(undefined);
  });

  it('should end the answer with finish reason length when the context fills, keeping the text', async () => {
    const short = await createRuntime({
      model: editedModel(root, model, 'context-320', (manifest) => {
        manifest.dims.maxPositionEmbeddings = 320;
      }),
      backend,
    });
    try {
      const deltas: string[] = [];
      const stream = short.chat(ask(imageA, 'Go on.'), {
        maxNewTokens: 500,
        bannedTokenIds: [short.manifest.tokens.imEnd],
      });
      for await (const event of stream) if (event.type === 'token-delta') deltas.push(event.text);
      const result = await stream.result();
      expect(result.finishReason).toBe('length');
      expect(result.usage.maxNewTokensClipped).toBe(true);
      expect(result.usage.maxNewTokens).toBe(320 - result.usage.promptTokens + 1);
      expect(result.usage.generatedTokens).toBe(result.usage.maxNewTokens);
      expect(result.text.length).toBeGreaterThan(0);
      expect(deltas.join('').length).toBeGreaterThan(0);
      // A budget that fits is not clipped.
      const fits = await short.chat(ask(imageA, 'Go on.'), { maxNewTokens: 3 }).result();
      expect(fits.usage.maxNewTokensClipped).toBe(false);
    } finally {
      await short.dispose();
    }
  });

  it('should reject queued calls with a DisposedError on dispose, and stop the running one', async () => {
    const doomed = await createRuntime({ model, backend });
    const running = doomed.chat([{ role: 'user', content: 'Tell a long story.' }], {
      maxNewTokens: 500,
      bannedTokenIds: [doomed.manifest.tokens.imEnd],
    });
    const iterator = running[Symbol.asyncIterator]();
    await iterator.next();
    const queued = doomed
      .chat([{ role: 'user', content: 'Hi' }])
      .text()
      .catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const started = performance.now();
    const rest = (async () => {
      for (;;) if ((await iterator.next()).done) return undefined;
    })().catch((e: unknown) => e);
    await doomed.dispose();
    expect(performance.now() - started).toBeLessThan(5000);
    expect(DisposedError.isInstance(await queued)).toBe(true);
    expect(DisposedError.isInstance(await rest)).toBe(true);
    expect(
      DisposedError.isInstance(
        await doomed
          .chat([{ role: 'user', content: 'Hi' }])
          .text()
          .catch((e: unknown) => e),
      ),
    ).toBe(true);
  });

  it('should refuse more video frames than the context holds before decoding any', async () => {
    const video = join(root, 'clip.mp4');
    execFileSync('ffmpeg', [
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=duration=1:size=160x120:rate=10',
      video,
    ]);
    const started = performance.now();
    const error = await runtime
      .chat([
        {
          role: 'user',
          content: [
            { type: 'video', video, frames: 10_000 },
            { type: 'text', text: 'What moves?' },
          ],
        },
      ])
      .text()
      .catch((e: unknown) => e);
    expect(ContextOverflowError.isInstance(error), String(error)).toBe(true);
    expect((error as Error).message).toMatch(
      /A video of 10000 frames alone needs 2560000 image tokens\. Ask for at most \d+ frames/,
    );
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('should refuse malformed messages with an InvalidArgumentError naming the field', async () => {
    const cases: [unknown, RegExp][] = [
      [null, /messages: Invalid type/],
      [[], /at least one message/],
      [[{ role: 'user', content: null }], /messages\[0\]\.content/],
      [[{ role: 'user', content: [{ type: 'audio', audio: 'x' }] }], /messages\[0\]\.content\[0\]\.type/],
      [
        [{ role: 'user', content: [{ type: 'image_url', image_url: {} }] }],
        /messages\[0\]\.content\[0\]\.image_url/,
      ],
      [[{ role: 'user', content: [{ type: 'image' }] }], /messages\[0\]\.content\[0\]\.image/],
      [[{ role: 'robot', content: 'hi' }], /messages\[0\]\.role/],
    ];
    for (const [messages, pattern] of cases) {
      const error = await runtime
        .chat(messages as ChatMessage[], { maxNewTokens: 1 })
        .text()
        .catch((e: unknown) => e);
      expect(InvalidArgumentError.isInstance(error), String(error)).toBe(true);
      expect((error as Error).message).toMatch(pattern);
    }
  });

  it('should convert again when the checkpoint’s weights change under an untouched config, and honour XDG_CACHE_HOME', async () => {
    const { checkpoint } = await tinyModel('tiny-qwen2');
    const xdg = join(root, 'xdg');
    const saved = process.env.XDG_CACHE_HOME;
    process.env.XDG_CACHE_HOME = xdg;
    try {
      const conversions: number[] = [];
      const load = async () => {
        let converted = false;
        const loaded = await createRuntime({
          model: checkpoint,
          backend,
          onProgress: (event) => {
            if (event.type === 'convert') converted = true;
          },
        });
        conversions.push(converted ? 1 : 0);
        await loaded.dispose();
      };
      await load();
      await load();
      const weights = readdirSync(checkpoint).find((name) => name.endsWith('.safetensors'))!;
      const later = new Date(Date.now() + 60_000);
      utimesSync(join(checkpoint, weights), later, later);
      await load();
      expect(conversions).toEqual([1, 0, 1]);
      // The stale conversion was replaced, not kept beside the new one.
      expect(readdirSync(join(xdg, 'ivl', 'converted'))).toHaveLength(1);
    } finally {
      if (saved === undefined) delete process.env.XDG_CACHE_HOME;
      else process.env.XDG_CACHE_HOME = saved;
    }
  });
});
