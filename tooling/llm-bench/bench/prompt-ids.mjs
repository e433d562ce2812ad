// The prompts both runtimes get, as token ids (no tokenizer in between, so both see the same
// tokens): seeded ids from the ordinary vocabulary.
export function promptIds(length, seed = 1) {
  let s = seed;
  return Array.from({ length }, () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return 1000 + (s % 100_000);
  });
}
export const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
