// The same measurement on llama.cpp (node-llama-cpp 3.21.1, CPU, the same thread count) over the
// GGUF of the same weights. Prints one JSON line.
import { createRequire } from 'node:module';
import { printRun, promptIds } from './bench-run.mjs';

const [gguf, threads, decodeTokens] = process.argv.slice(2);
const require = createRequire(new URL('../peer/package.json', import.meta.url));
const { getLlama } = await import(require.resolve('node-llama-cpp'));
const llama = await getLlama({ gpu: false, logLevel: 'error' });
const model = await llama.loadModel({ modelPath: gguf, gpuLayers: 0 });
const context = await model.createContext({
  contextSize: 2048,
  batchSize: 2048,
  threads: Number(threads),
  sequences: 1,
});
const sequence = context.getSequence();
// Prefill plus the first greedy token, as ivl's figure counts it.
const prefill = async (ids) => {
  await sequence.clearHistory();
  const started = performance.now();
  let first;
  for await (const token of sequence.evaluate(ids, { temperature: 0 })) {
    first = token;
    break;
  }
  return { first, seconds: (performance.now() - started) / 1000 };
};
// Greedy steps after a prompt (the sequence holds it); seconds per token.
const decode = async (first) => {
  const tokens = [first];
  const started = performance.now();
  for (let i = 0; i < Number(decodeTokens); i++) {
    for await (const token of sequence.evaluate([tokens.at(-1)], { temperature: 0 })) {
      tokens.push(token);
      break;
    }
  }
  return { tokens, seconds: (performance.now() - started) / 1000 };
};
await prefill(promptIds(16));
const long = await prefill(promptIds(1829));
const afterLong = await decode(long.first);
const short = [];
let kept;
for (let r = 0; r < 3; r++) {
  kept = await prefill(promptIds(103));
  short.push(kept.seconds);
}
const { tokens, seconds: decodeSeconds } = await decode(kept.first);
printRun({ short, long, afterLong, decodeTokens: Number(decodeTokens), decodeSeconds, tokens });
await context.dispose();
await model.dispose();
