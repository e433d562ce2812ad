// What both runtimes' scripts share: the prompts they get, as token ids (no tokenizer in between, so both see the same
// tokens): seeded ids from the ordinary vocabulary.
export function promptIds(length, seed = 1) {
  let s = seed;
  return Array.from({ length }, () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return 1000 + (s % 100_000);
  });
}
/**
 * Greedy timers over a decoder of `@ivl/decoder` (both ivl bench scripts): `prefill(ids)` fills a new
 * cache and takes the first token; `decode(run, steps)` takes `steps` greedy steps after it. Seconds each.
 */
export function greedyTimers(decoder) {
  const argmax = (logits) => {
    let best = 0;
    for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
    return best;
  };
  return {
    async prefill(ids) {
      const cache = decoder.createCache();
      const started = performance.now();
      const first = argmax(await decoder.prefill(cache, ids));
      return { cache, first, seconds: (performance.now() - started) / 1000 };
    },
    async decode(run, steps) {
      const tokens = [run.first];
      const started = performance.now();
      for (let i = 0; i < steps; i++) tokens.push(argmax(await decoder.step(run.cache, tokens.at(-1))));
      return { tokens, seconds: (performance.now() - started) / 1000 };
    },
  };
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Prints one run's figures as the JSON line llm.bench.mjs reads (the same keys for both runtimes). */
export function printRun({ short, long, afterLong, decodeTokens, decodeSeconds, tokens }) {
  console.log(
    JSON.stringify({
      prefill103: 103 / median(short),
      prefill1829: 1829 / long.seconds,
      decode: decodeTokens / decodeSeconds,
      decodeAfter1829: decodeTokens / afterLong.seconds,
      tokens: tokens.slice(0, 16),
      peakRss: process.resourceUsage().maxRSS * 1024,
    }),
  );
}
