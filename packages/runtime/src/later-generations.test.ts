import { createNodeBackend } from '@ivl/backend-node';
import { createWebBackend } from '@ivl/backend-web';
import type { InferenceBackend } from '@ivl/core';
import { type IvlTokenizer, THINKING_SYSTEM_PROMPT } from '@ivl/prompt';
import { loadTokenizer } from '@ivl/prompt/node';
import { tinyModel } from '@ivl/test-models';
import { tileImage } from '@ivl/tiling';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { referenceGreedyTokens, syntheticImage } from './__fixtures__/test-helpers.js';
import type { ChatEvent } from './chat-types.js';
import { createRuntime } from './node/create-runtime.js';
import type { Runtime } from './runtime.js';

const image = syntheticImage(200, 160, 3);
const question = 'What is in the picture?';
const MAX_NEW = 8;
const messages = [
  {
    role: 'user' as const,
    content: [
      { type: 'image' as const, image, maxTiles: 1 },
      { type: 'text' as const, text: question },
    ],
  },
];

type Preset = 'tiny-qwen3' | 'tiny-internlm3' | 'tiny-qwen2' | 'tiny-internlm2';
describe.each([
  ['tiny-qwen3', 'internvl', 'ort-node cpu', () => createNodeBackend({ device: 'cpu' })],
  ['tiny-qwen3', 'internvl', 'ort-web wasm', () => createWebBackend({ device: 'wasm' })],
  ['tiny-internlm3', 'internvl', 'ort-node cpu', () => createNodeBackend({ device: 'cpu' })],
  ['tiny-qwen3', 'hf', 'ort-node cpu', () => createNodeBackend({ device: 'cpu' })],
  ['tiny-qwen2', 'hf', 'ort-web wasm', () => createWebBackend({ device: 'wasm' })],
  ['tiny-internlm2', 'hf', 'ort-node cpu', () => createNodeBackend({ device: 'cpu' })],
] as [Preset, 'internvl' | 'hf', string, () => InferenceBackend][])(
  'runtime.chat on %s (%s layout) with %s',
  (preset, layout, _, createBackend) => {
    let runtime: Runtime;
    let paths: { checkpoint: string; model: string };
    beforeAll(async () => {
      paths = await tinyModel(preset, { layout });
      runtime = await createRuntime({ model: paths.model, backend: createBackend() });
    }, 300_000);
    afterAll(() => runtime.dispose());

    it('should answer about an image with the greedy tokens of the float64 reference forward', async () => {
      const result = await runtime.chat(messages, { maxNewTokens: MAX_NEW }).result();
      // 256 image tokens found by the tokenizer's own <IMG_CONTEXT> id (151671 for Qwen3, where 151667 is <think>).
      expect(result.usage.imageTokens).toBe(256);
      const { ids } = await runtime.preparePrompt(messages);
      const expected = referenceGreedyTokens(
        paths.checkpoint,
        ids,
        tileImage(image, { maxTiles: 1 }).pixelValues.data as Float32Array,
        runtime.manifest.tokens,
        MAX_NEW,
      );
      expect(result.samples[0]!.tokenIds).toEqual(expected);
    });
  },
);

describe('thinking mode (InternVL3.5) on tiny-qwen3', () => {
  let runtime: Runtime;
  let think: { open: number; close: number };
  let tokenizer: IvlTokenizer;
  beforeAll(async () => {
    const { model } = await tinyModel('tiny-qwen3');
    runtime = await createRuntime({ model, backend: createNodeBackend({ device: 'cpu' }) });
    tokenizer = await loadTokenizer(model, { family: 'qwen3' });
    think = { open: tokenizer.tokenId('<think>')!, close: tokenizer.tokenId('</think>')! };
  }, 300_000);
  afterAll(() => runtime.dispose());

  it('should put the reasoning system prompt first unless the conversation brings its own', async () => {
    const { text } = await runtime.preparePrompt(messages, { reasoning: 'think' });
    expect(text.startsWith(`<|im_start|>system\n${THINKING_SYSTEM_PROMPT}<|im_end|>`)).toBe(true);
    const own = await runtime.preparePrompt([{ role: 'system', content: 'Be brief.' }, ...messages], {
      reasoning: 'think',
    });
    expect(own.text.startsWith('<|im_start|>system\nBe brief.<|im_end|>')).toBe(true);
  });

  it('should stream the think section as reasoning and keep it out of the answer', async () => {
    // The random tiny model never thinks by itself: a regex makes it write a think section of 3–12
    // letters and an answer, and logit biases make it spell the tags with Qwen3's own tokens.
    // Greedy (doSample false) overrides thinking mode's T 0.6 / top-p 0.95 for a fixed answer.
    const events: ChatEvent[] = [];
    for await (const event of runtime.chat(messages, {
      reasoning: 'think',
      doSample: false,
      maxNewTokens: 40,
      responseFormat: { type: 'regex', pattern: '<think>[a-z]{3,12}</think>[a-z]{2,8}' },
      logitBias: { [think.open]: 100, [think.close]: 50 },
    }))
      events.push(event);
    const done = events.at(-1)!;
    if (done.type !== 'done') throw new Error('no result');
    const ids = done.samples[0]!.tokenIds;
    expect(ids[0]).toBe(think.open);
    const close = ids.indexOf(think.close);
    expect(close).toBeGreaterThan(1);
    const deltas = events.filter((e) => e.type === 'token-delta');
    expect(deltas.some((d) => d.text.includes('think>'))).toBe(false);
    const reasoning = deltas.filter((d) => d.reasoning).map((d) => d.text);
    const answer = deltas.filter((d) => !d.reasoning).map((d) => d.text);
    expect(done.reasoning).toBe(tokenizer.decode(ids.slice(1, close)).trim());
    expect(reasoning.join('').trim()).toBe(done.reasoning);
    expect(done.reasoning!.length).toBeGreaterThanOrEqual(3);
    expect(done.text).toBe(tokenizer.decodeReply(ids.slice(close + 1)).trim());
    expect(answer.join('').trim()).toBe(done.text);
    expect(done.text).toMatch(/^[a-z]{2,8}$/);
  });
});
