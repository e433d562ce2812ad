// One dtype of ivl's LLM stage, in its own process (so peak RSS is this stage's alone, as
// llama.cpp's is its LLM's without the vision projector): the embedding and decoder sessions under
// the runtime's decoder, prefill of a 103- and a 1,829-token prompt, then 64 greedy decode steps.
// Prints one JSON line.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createNodeBackend } from '@ivl/backend-node';
import { createDecoder } from '@ivl/decoder';
import { modelStoreFromDirectory } from '@ivl/runtime/node';
import { greedyTimers, printRun, promptIds } from './bench-run.mjs';

const [modelDir, dtype, threads, decodeTokens] = process.argv.slice(2);
const backend = createNodeBackend({ device: 'cpu', threads: Number(threads) });
await backend.init();
const manifest = JSON.parse(readFileSync(join(modelDir, 'ivl.json'), 'utf8'));
const store = modelStoreFromDirectory(modelDir);
const session = async (part) => backend.createSession(await store.partSource(manifest.files[part][dtype]));
const embedSession = await session('embed_tokens');
const decoderSession = await session('decoder_model_merged');
// As loadModel makes it (packages/runtime/src/load-model.ts).
const decoder = createDecoder({
  embedSession,
  decoderSession,
  layers: manifest.dims.layers,
  kvHeads: manifest.dims.kvHeads,
  headDim: manifest.dims.headDim,
  hidden: manifest.dims.llmHidden,
  maxContextTokens: manifest.dims.maxPositionEmbeddings,
  imageContextTokenId: manifest.tokens.imgContext,
  pastCapacity: manifest.decoderPast === 'capacity' && !backend.capabilities.deviceResidentOutputs,
});
const timers = greedyTimers(decoder);
const prefill = timers.prefill;
// Warm-up (first-run allocations), then timed runs.
(await prefill(promptIds(16))).cache.dispose();
const short = [];
let kept;
for (let r = 0; r < 3; r++) {
  const run = await prefill(promptIds(103));
  short.push(run.seconds);
  if (kept) kept.cache.dispose();
  kept = run;
}
const long = await prefill(promptIds(1829));
// Greedy steps after a prompt; seconds for all of them.
const decode = (run) => timers.decode(run, Number(decodeTokens));
const afterLong = await decode(long);
long.cache.dispose();
const { tokens, seconds: decodeSeconds } = await decode(kept);
await Promise.all([embedSession.dispose(), decoderSession.dispose()]);
printRun({ short, long, afterLong, decodeTokens: Number(decodeTokens), decodeSeconds, tokens });
