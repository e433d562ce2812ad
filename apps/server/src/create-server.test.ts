import { createNodeBackend } from '@ivl/backend-node';
import type { ChatMessage, Runtime } from '@ivl/runtime';
import { createRuntime } from '@ivl/runtime/node';
import { tinyModel } from '@ivl/test-models';
import OpenAI, { APIError } from 'openai';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type IvlServer } from './create-server.js';

// The real server on 127.0.0.1, called with the official openai client.
const png = (width: number, height: number, value: number) =>
  sharp({ create: { width, height, channels: 3, background: { r: value, g: 255 - value, b: value >> 1 } } })
    .png()
    .toBuffer();
const dataUrl = (bytes: Buffer) => `data:image/png;base64,${bytes.toString('base64')}`;

describe('the OpenAI-compatible server', () => {
  let server: IvlServer;
  let reference: Runtime;
  let client: OpenAI;
  let base: string;
  let black: string;
  let model: string;
  const key = 'test-key';

  beforeAll(async () => {
    ({ model } = await tinyModel('tiny-qwen2'));
    server = await createServer({ model, apiKey: key, logger: false, maxConcurrency: 2, maxQueue: 16 });
    base = await server.listen({ host: '127.0.0.1', port: 0 });
    client = new OpenAI({ baseURL: `${base}/v1`, apiKey: key, maxRetries: 0 });
    reference = await createRuntime({ model, backend: createNodeBackend() });
    black = dataUrl(await png(200, 160, 0));
  }, 300_000);
  afterAll(async () => {
    await server?.close();
    await reference?.dispose();
  });

  const question = (text: string, url = black) =>
    [
      {
        role: 'user' as const,
        content: [
          { type: 'image_url' as const, image_url: { url } },
          { type: 'text' as const, text },
        ],
      },
    ] satisfies OpenAI.Chat.ChatCompletionMessageParam[];
  const alone = (text: string, url = black, maxNewTokens = 8) => {
    const messages: ChatMessage[] = [
      {
        role: 'user',
        content: [
          { type: 'image', image: url },
          { type: 'text', text },
        ],
      },
    ];
    return reference.chat(messages, { maxNewTokens }).text();
  };

  it('should answer a chat with an image data URL as runtime.chat does (greedy)', async () => {
    const completion = await client.chat.completions.create({
      model: 'tiny',
      messages: question('What is in the picture?'),
      max_tokens: 8,
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.choices[0]!.message.content).toBe(await alone('What is in the picture?'));
    expect(completion.choices[0]!.finish_reason).toMatch(/^(stop|length)$/);
    expect(completion.usage!.prompt_tokens).toBeGreaterThan(256);
    expect(completion.usage!.completion_tokens).toBeLessThanOrEqual(8);
  });

  it('should stream the same answer as server-sent events, usage in the last chunk', async () => {
    const stream = await client.chat.completions.create({
      model: 'tiny',
      messages: question('What is in the picture?'),
      max_tokens: 8,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    expect(text).toBe(await alone('What is in the picture?'));
    expect(finish).toMatch(/^(stop|length)$/);
    expect(usage!.total_tokens).toBe(usage!.prompt_tokens + usage!.completion_tokens);
  });

  it('should give 8 concurrent streams each the answer of the same request alone', async () => {
    const questions = Array.from({ length: 8 }, (_, i) => `Question number ${i + 1}?`);
    const images = await Promise.all(questions.map((_, i) => png(120 + 8 * i, 96, 30 * i).then(dataUrl)));
    const expected: string[] = [];
    for (const [i, text] of questions.entries()) expected.push(await alone(text, images[i], 6));
    const answers = await Promise.all(
      questions.map(async (text, i) => {
        const stream = await client.chat.completions.create({
          model: 'tiny',
          messages: question(text, images[i]),
          max_tokens: 6,
          stream: true,
        });
        let answer = '';
        for await (const chunk of stream) answer += chunk.choices[0]?.delta.content ?? '';
        return answer;
      }),
    );
    expect(answers).toEqual(expected);
  }, 120_000);

  it('should answer about a video sent as a data URL, frame blocks in the prompt', async () => {
    const { execFileSync } = await import('node:child_process');
    const video = execFileSync('ffmpeg', [
      ...['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=duration=1:size=160x120:rate=10'],
      ...[
        '-c:v',
        'libx264',
        '-pix_fmt',
        'yuv420p',
        '-movflags',
        'frag_keyframe+empty_moov',
        '-f',
        'mp4',
        'pipe:1',
      ],
    ]);
    const completion = await client.chat.completions.create({
      model: 'tiny',
      messages: [
        {
          role: 'user',
          content: [
            {
              type: 'video_url',
              video_url: { url: `data:video/mp4;base64,${video.toString('base64')}` },
            } as never,
            { type: 'text', text: 'What moves?' },
          ],
        },
      ],
      max_tokens: 2,
      video_frames: 3,
    } as never);
    // Three frames of one tile: 3 × 256 image tokens.
    expect((completion as OpenAI.Chat.ChatCompletion).usage!.prompt_tokens).toBeGreaterThan(768);
  }, 60_000);

  it('should constrain answers with response_format json_schema and guided_choice', async () => {
    const schema = {
      type: 'object',
      properties: { colour: { enum: ['red', 'green'] }, count: { type: 'integer', minimum: 0, maximum: 9 } },
      required: ['colour', 'count'],
      additionalProperties: false,
    };
    const completion = await client.chat.completions.create({
      model: 'tiny',
      messages: question('Describe it as JSON.'),
      max_tokens: 40,
      temperature: 1,
      seed: 4,
      response_format: { type: 'json_schema', json_schema: { name: 'answer', schema, strict: true } },
    });
    const parsed = JSON.parse(completion.choices[0]!.message.content!);
    expect(['red', 'green']).toContain(parsed.colour);
    expect(parsed.count).toBeGreaterThanOrEqual(0);
    expect(parsed.count).toBeLessThanOrEqual(9);
    const choice = await client.chat.completions.create({
      model: 'tiny',
      messages: question('Yes or no?'),
      max_tokens: 5,
      guided_choice: ['yes', 'no'],
    } as never);
    expect(['yes', 'no']).toContain((choice as OpenAI.Chat.ChatCompletion).choices[0]!.message.content);
  }, 60_000);

  it('should list the model and answer /health and /metrics', async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual([model.split('/').at(-1)]);
    expect(await (await fetch(`${base}/health`)).json()).toMatchObject({ status: 'ok' });
    const metrics = await (
      await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${key}` } })
    ).text();
    expect(metrics).toMatch(/ivl_requests_total\{route="\/v1\/chat\/completions",status="200"\} \d+/);
    expect(metrics).toMatch(/ivl_completion_tokens_total \d+/);
    expect(metrics).toMatch(/ivl_time_to_first_token_seconds_count \d+/);
    expect(metrics).toMatch(/ivl_queue_depth 0/);
    expect(metrics).toMatch(/ivl_encoded_tiles_total \d+/);
  });

  it('should refuse with OpenAI-shaped errors and the right status', async () => {
    const status = async (promise: Promise<unknown>) => {
      const error = await promise.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(APIError);
      return error as APIError;
    };
    const wrongKey = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'nope', maxRetries: 0 });
    expect((await status(wrongKey.models.list())).status).toBe(401);
    const schema = await status(client.chat.completions.create({ model: 'tiny', messages: [] }));
    expect(schema.status).toBe(400);
    expect(schema.message).toMatch(/Invalid request: body\/messages must NOT have fewer than 1 items/);
    const file = await status(
      client.chat.completions.create({
        model: 'tiny',
        messages: question('x', 'file:///etc/hostname'),
        max_tokens: 1,
      }),
    );
    expect(file.status).toBe(400);
    expect(file.message).toMatch(/local files are not allowed here/);
    const loopback = await status(
      client.chat.completions.create({
        model: 'tiny',
        messages: question('x', `${base}/health`),
        max_tokens: 1,
      }),
    );
    expect(loopback.message).toMatch(/is a loopback address/);
    const tooMany = await status(
      client.chat.completions.create({
        model: 'tiny',
        messages: [
          {
            role: 'user',
            content: Array.from({ length: 17 }, () => ({
              type: 'image_url' as const,
              image_url: { url: black },
            })),
          },
        ],
      }),
    );
    expect(tooMany.status).toBe(400);
    expect(tooMany.code).toBe('too_many_images');
    // 16 pictures of 9 tiles + thumbnail: 40 960 image tokens, past the tiny model's 32 768.
    const square = dataUrl(await png(1344, 1344, 7));
    const overflow = await status(
      client.chat.completions.create({
        model: 'tiny',
        messages: [
          {
            role: 'user',
            content: Array.from({ length: 16 }, () => ({
              type: 'image_url' as const,
              image_url: { url: square, max_dynamic_patch: 12 } as never,
            })),
          },
        ],
      }),
    );
    expect(overflow.status).toBe(400);
    expect(overflow.code).toBe('context_length_exceeded');
    expect(overflow.message).toMatch(/needs \d+ tokens but the model holds 32768/);
    const huge = `data:image/png;base64,${'A'.repeat(40 * 2 ** 20)}`;
    const tooLarge = await status(
      client.chat.completions.create({ model: 'tiny', messages: question('x', huge) }),
    );
    expect(tooLarge.status).toBe(413);
  }, 60_000);
});

describe('the server under load it must refuse', () => {
  let server: IvlServer;
  let client: OpenAI;
  beforeAll(async () => {
    const { model } = await tinyModel('tiny-qwen2');
    server = await createServer({ model, logger: false, maxConcurrency: 1, maxQueue: 1 });
    client = new OpenAI({ baseURL: `${await server.listen({ port: 0 })}/v1`, apiKey: 'none', maxRetries: 0 });
  }, 300_000);
  afterAll(() => server?.close());
  const long = { model: 'tiny', max_tokens: 400, temperature: 1, seed: 1 } as const;

  it('should answer 429 with Retry-After past the queue', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 4 }, (_, i) =>
        client.chat.completions.create({
          ...long,
          max_tokens: 40,
          messages: [{ role: 'user', content: `Story ${i}` }],
        }),
      ),
    );
    const refused = results
      .filter((r) => r.status === 'rejected')
      .map((r) => (r as PromiseRejectedResult).reason as APIError);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
    expect(refused).toHaveLength(2);
    for (const error of refused) {
      expect(error.status).toBe(429);
      expect(error.headers?.get('retry-after')).toBe('1');
    }
  }, 60_000);

  it('should free the slot of a client that disconnects mid-stream: the next request starts at once', async () => {
    const stepsBefore = server.runtime.stats.decodeSteps;
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { ...long, messages: [{ role: 'user', content: 'Tell a long story.' }], stream: true },
      { signal: controller.signal },
    );
    let chunks = 0;
    try {
      for await (const _ of stream) if (++chunks === 3) controller.abort();
    } catch {
      // the client's own abort
    }
    // maxConcurrency 1 and maxQueue 1: were the slot still taken by the abandoned answer (400
    // tokens), this one would wait for all of them. Counted in decode steps, not milliseconds (a
    // loaded machine made a 1.5 s bound fail with the slot freed).
    const next = await client.chat.completions.create({
      ...long,
      max_tokens: 2,
      messages: [{ role: 'user', content: 'Hi' }],
    });
    expect(next.choices).toHaveLength(1);
    expect(server.runtime.stats.decodeSteps - stepsBefore).toBeLessThan(200);
    expect(server.runtime.stats.queuedCalls).toBe(0);
  }, 60_000);
});
