// Soak: many short chats on one runtime, each about a fresh image, on the tiny Qwen2 model
// (onnxruntime-node CPU). RSS is sampled every 100 chats after a GC; with the media cache bounded
// (mediaCacheBytes) and one conversation cache, it must stay flat after warm-up.
//   node --expose-gc bench/soak.bench.mjs            (IVL_SOAK_CHATS=1000, IVL_SOAK_CACHE_MB=8)
import { createNodeBackend } from '@ivl/backend-node';
import { tinyModel } from '@ivl/test-models';
import { createRuntime } from '../dist/node/index.js';

const CHATS = Number(process.env.IVL_SOAK_CHATS ?? 1000);
const CACHE_MB = Number(process.env.IVL_SOAK_CACHE_MB ?? 8);
const { model } = await tinyModel('tiny-qwen2');
const runtime = await createRuntime({
  model,
  backend: createNodeBackend({ device: 'cpu' }),
  mediaCacheBytes: CACHE_MB * 1024 * 1024,
});

function image(seed) {
  const data = new Uint8Array(64 * 64 * 3);
  let s = seed;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = s >>> 24;
  }
  return { width: 64, height: 64, data };
}

const rss = () => {
  globalThis.gc?.();
  return process.memoryUsage().rss / 2 ** 20;
};
const series = [];
const started = performance.now();
for (let chat = 1; chat <= CHATS; chat++) {
  await runtime
    .chat(
      [
        {
          role: 'user',
          content: [
            { type: 'image', image: image(chat), maxTiles: 1 },
            { type: 'text', text: 'What is it?' },
          ],
        },
      ],
      { maxNewTokens: 4 },
    )
    .result();
  if (chat % 100 === 0 || chat === 1) series.push([chat, rss()]);
}
const seconds = (performance.now() - started) / 1000;
await runtime.dispose();
console.log(
  `soak: ${CHATS} chats with fresh images in ${seconds.toFixed(0)} s (media cache ${CACHE_MB} MiB, gc ${globalThis.gc ? 'on' : 'off'})`,
);
console.log(`media cache: ${runtime.stats.mediaCacheMisses} misses, ${runtime.stats.mediaCacheHits} hits`);
for (const [chat, mb] of series)
  console.log(`  after ${String(chat).padStart(5)} chats: RSS ${mb.toFixed(1)} MiB`);
const warm = series.find(([chat]) => chat >= 200) ?? series[0];
const last = series.at(-1);
console.log(
  `growth after warm-up (chat ${warm[0]} → ${last[0]}): ${(last[1] - warm[1]).toFixed(1)} MiB, ` +
    `${(((last[1] - warm[1]) * 1024) / Math.max(1, last[0] - warm[0])).toFixed(1)} KiB per chat`,
);
