// What both runtimes' scripts share: the prompts they get, as token ids (no tokenizer in between, so both see the same
// tokens): seeded ids from the ordinary vocabulary.
export function promptIds(length, seed = 1) {
  let s = seed;
  return Array.from({ length }, () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return 1000 + (s % 100_000);
  });
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
