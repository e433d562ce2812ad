import { readFileSync } from 'node:fs';
import { createNodeBackend } from '@ivl/backend-node';
import type { ChatMessage, Runtime } from '@ivl/runtime';
import { createRuntime } from '@ivl/runtime/node';
import { tinyModel } from '@ivl/test-models';
import { generateText, Output, streamText } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createIvl } from './ivl-provider.js';

// The real `ai` package over a real runtime on the tiny model (random weights, real pipeline).
const sample = readFileSync(new URL('../../../apps/cli/assets/sample.jpg', import.meta.url));
let runtime: Runtime;
beforeAll(async () => {
  const { model } = await tinyModel('tiny-qwen2');
  runtime = await createRuntime({ model, backend: createNodeBackend() });
}, 300_000);
afterAll(() => runtime?.dispose());

const question = 'What is in the picture?';
const aiMessages = [
  {
    role: 'user' as const,
    content: [
      { type: 'file' as const, mediaType: 'image/jpeg', data: sample },
      { type: 'text' as const, text: question },
    ],
  },
];
const runtimeMessages: ChatMessage[] = [
  {
    role: 'user',
    content: [
      { type: 'image', image: new Uint8Array(sample), maxTiles: 1 },
      { type: 'text', text: question },
    ],
  },
];
const ivlOptions = { ivl: { maxTiles: 1 } };

describe('@ivl/ai-sdk-provider with the ai package', () => {
  it('should answer generateText with an image part as the runtime does, usage mapped', async () => {
    const ivl = createIvl({ runtime, modelId: 'internvl2_5-tiny' });
    const direct = await runtime.chat(runtimeMessages, { maxNewTokens: 8, maxTiles: 1 }).result();
    const result = await generateText({
      model: ivl(),
      messages: aiMessages,
      maxOutputTokens: 8,
      temperature: 0,
      providerOptions: ivlOptions,
    });
    expect(result.text).toBe(direct.text);
    expect(result.finishReason).toBe('length');
    expect(result.usage.outputTokens).toBe(8);
    expect(result.usage.inputTokens).toBe(direct.usage.promptTokens);
    expect(result.response.modelId).toBe('internvl2_5-tiny');
    expect(result.providerMetadata?.ivl?.imageTokens).toBe(256);
  }, 120_000);

  it('should stream the same text with streamText, and keep a system message and history', async () => {
    const ivl = createIvl({ runtime });
    const generated = await generateText({
      model: ivl(),
      messages: aiMessages,
      maxOutputTokens: 6,
      providerOptions: ivlOptions,
    });
    const streamed = streamText({
      model: ivl(),
      messages: aiMessages,
      maxOutputTokens: 6,
      providerOptions: ivlOptions,
    });
    const deltas: string[] = [];
    for await (const delta of streamed.textStream) deltas.push(delta);
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe(generated.text);
    expect((await streamed.usage).outputTokens).toBe(6);

    const history = [
      ...aiMessages,
      { role: 'assistant' as const, content: generated.text },
      { role: 'user' as const, content: 'And the colours?' },
    ];
    const followUp = await generateText({
      model: ivl(),
      system: 'You are terse.',
      messages: history,
      maxOutputTokens: 4,
      providerOptions: ivlOptions,
    });
    const direct = await runtime
      .chat(
        [
          ...runtimeMessages,
          { role: 'assistant', content: generated.text },
          { role: 'user', content: 'And the colours?' },
        ],
        { maxNewTokens: 4, maxTiles: 1, systemMessage: 'You are terse.' },
      )
      .result();
    expect(followUp.text).toBe(direct.text);
  }, 120_000);

  it('should stop a stream on abort within a second, and answer the next call', async () => {
    const ivl = createIvl({ runtime: async () => runtime });
    const controller = new AbortController();
    const streamed = streamText({
      model: ivl(),
      prompt: 'Tell a long story.',
      maxOutputTokens: 3000,
      temperature: 1,
      seed: 1,
      abortSignal: controller.signal,
      onError: () => {},
    });
    let aborted = 0;
    let deltas = 0;
    try {
      for await (const _ of streamed.textStream) {
        deltas++;
        if (deltas === 3) {
          aborted = performance.now();
          controller.abort();
        }
      }
    } catch {
      // The AI SDK ends an aborted stream with an AbortError.
    }
    expect(deltas).toBeGreaterThanOrEqual(3);
    expect(performance.now() - aborted).toBeLessThan(1000);
    const next = await generateText({ model: ivl(), prompt: 'Hello', maxOutputTokens: 2 });
    expect(next.usage.outputTokens).toBe(2);
  }, 120_000);

  it('should constrain Output.object to the schema', async () => {
    const ivl = createIvl({ runtime });
    const schema = z.object({ count: z.number().int().min(0).max(20), admin: z.boolean() });
    const result = await generateText({
      model: ivl(),
      prompt: 'Fill in the record.',
      output: Output.object({ schema }),
      maxOutputTokens: 100,
      temperature: 1,
      seed: 3,
    });
    expect(schema.parse(result.output)).toEqual(result.output);
  }, 120_000);

  it('should refuse tool messages and unknown model kinds plainly', async () => {
    const ivl = createIvl({ runtime });
    expect(() => ivl.embeddingModel('x')).toThrow(/language model only/);
    await expect(
      generateText({
        model: ivl(),
        messages: [
          {
            role: 'user',
            content: [{ type: 'file', mediaType: 'application/pdf', data: new Uint8Array(4) }],
          },
        ],
      }),
    ).rejects.toThrow(/InternVL reads images .* application\/pdf/);
  });
});

describe('@ivl/ai-sdk-provider in thinking mode (InternVL3.5 layout)', () => {
  let thinking: Runtime;
  beforeAll(async () => {
    const { model } = await tinyModel('tiny-qwen3');
    thinking = await createRuntime({ model, backend: createNodeBackend() });
  }, 300_000);
  afterAll(() => thinking?.dispose());
  // The random tiny model never thinks by itself: a regex makes it write a think section.
  const providerOptions = {
    ivl: { responseFormat: { type: 'regex' as const, pattern: '<think>[a-z]{3,12}</think>[a-z]{2,8}' } },
  };

  it('should give the think section as reasoning apart from the text, for any reasoning effort', async () => {
    const ivl = createIvl({ runtime: thinking });
    const result = await generateText({
      model: ivl(),
      prompt: 'How many legs has a cat?',
      reasoning: 'high',
      temperature: 0,
      maxOutputTokens: 40,
      providerOptions,
    });
    expect(result.reasoningText).toMatch(/^[a-z]{3,12}$/);
    expect(result.text).toMatch(/^[a-z]{2,8}$/);
  });

  it('should stream the reasoning before the text with streamText, the same as generateText', async () => {
    const ivl = createIvl({ runtime: thinking });
    const settings = {
      model: ivl(),
      prompt: 'How many legs has a cat?',
      temperature: 0,
      maxOutputTokens: 40,
      providerOptions: { ivl: { ...providerOptions.ivl, reasoning: 'think' as const } },
    };
    const streamed = streamText(settings);
    const kinds: string[] = [];
    for await (const part of streamed.fullStream) kinds.push(part.type);
    const once = await generateText(settings);
    expect(await streamed.reasoningText).toBe(once.reasoningText);
    expect(await streamed.text).toBe(once.text);
    expect(kinds.indexOf('reasoning-end')).toBeLessThan(kinds.indexOf('text-start'));
    expect(kinds.indexOf('reasoning-start')).toBeGreaterThan(-1);
  });
});
