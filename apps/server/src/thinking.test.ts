import { tinyModel } from '@ivl/test-models';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type IvlServer } from './create-server.js';

// The real server on 127.0.0.1 with an InternVL3.5-layout (Qwen3) model, called with the official openai client.
describe('thinking mode through the server (reasoning: "think")', () => {
  let server: IvlServer;
  let client: OpenAI;
  beforeAll(async () => {
    const { model } = await tinyModel('tiny-qwen3');
    server = await createServer({ model, apiKey: 'k', logger: false });
    client = new OpenAI({
      baseURL: `${await server.listen({ host: '127.0.0.1', port: 0 })}/v1`,
      apiKey: 'k',
      maxRetries: 0,
    });
  }, 300_000);
  afterAll(() => server?.close());

  it('should answer with the think section apart, in reasoning_content, as vLLM reasoning parsers do', async () => {
    // The random tiny model never thinks by itself: a regex makes it write a think section.
    const body = {
      model: 'ivl',
      messages: [{ role: 'user' as const, content: 'How many legs has a cat?' }],
      max_tokens: 40,
      temperature: 0,
      reasoning: 'think',
      guided_regex: '<think>[a-z]{3,12}</think>[a-z]{2,8}',
    };
    const completion = await client.chat.completions.create(body as never);
    const message = completion.choices[0]!.message as { content: string; reasoning_content?: string };
    expect(message.reasoning_content).toMatch(/^[a-z]{3,12}$/);
    expect(message.content).toMatch(/^[a-z]{2,8}$/);
  });
});
