// Load on the OpenAI-compatible server (tiny synthetic model, CPU), loopback only, bounded in
// count and time: requests/s and p50/p99 time to first token and total latency at 1, 4 and 16
// concurrent streaming clients, with the official openai client.
//   pnpm --filter @ivl/server bench          (IVL_LOAD_REQUESTS=48, IVL_LOAD_TOKENS=16)
import { tinyModel } from '@ivl/test-models';
import OpenAI from 'openai';
import { createServer } from '../dist/index.js';

const REQUESTS = Number(process.env.IVL_LOAD_REQUESTS ?? 48);
const TOKENS = Number(process.env.IVL_LOAD_TOKENS ?? 16);
const DEADLINE_MS = 120_000;
const { model } = await tinyModel('tiny-qwen2');
const server = await createServer({ model, logger: false, maxConcurrency: 16, maxQueue: 64 });
const client = new OpenAI({
  baseURL: `${await server.listen({ host: '127.0.0.1', port: 0 })}/v1`,
  apiKey: 'none',
  maxRetries: 0,
});
const percentile = (values, p) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))];

async function one(index) {
  const started = performance.now();
  let first;
  const stream = await client.chat.completions.create({
    model: 'tiny',
    // Different questions, one shared system prompt: the prefix cache serves the common part.
    messages: [{ role: 'user', content: `Question ${index}: what is in a picture of ${index % 7} cats?` }],
    max_tokens: TOKENS,
    stream: true,
  });
  for await (const chunk of stream)
    if (first === undefined && chunk.choices[0]?.delta.content) first = performance.now();
  return { ttft: (first ?? performance.now()) - started, total: performance.now() - started };
}

console.log(
  `server load: tiny-qwen2 on CPU, ${REQUESTS} streaming requests per level, ${TOKENS} tokens each`,
);
const began = performance.now();
for (const clients of [1, 4, 16]) {
  const results = [];
  let next = 0;
  const levelStart = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < REQUESTS && performance.now() - began < DEADLINE_MS) results.push(await one(next++));
    }),
  );
  const seconds = (performance.now() - levelStart) / 1000;
  const ttft = results.map((r) => r.ttft);
  const total = results.map((r) => r.total);
  console.log(
    `  ${String(clients).padStart(2)} clients: ${(results.length / seconds).toFixed(1)} req/s, ` +
      `TTFT p50 ${percentile(ttft, 50).toFixed(0)} ms p99 ${percentile(ttft, 99).toFixed(0)} ms, ` +
      `latency p50 ${percentile(total, 50).toFixed(0)} ms p99 ${percentile(total, 99).toFixed(0)} ms (${results.length} requests)`,
  );
}
const stats = server.runtime.stats;
console.log(
  `  decode steps ${stats.decodeSteps}, prefill tokens ${stats.prefillTokens}; one model, requests take turns (no batched decode)`,
);
await server.close();
