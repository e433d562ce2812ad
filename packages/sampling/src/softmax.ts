/**
 * Softmax in float64 (masked `-Infinity` logits get probability 0).
 * @returns probabilities summing to 1
 */
export function softmax(logits: Float32Array): Float64Array {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < logits.length; i++) if (logits[i]! > max) max = logits[i]!;
  const probabilities = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    const p = Math.exp(logits[i]! - max);
    probabilities[i] = p;
    sum += p;
  }
  for (let i = 0; i < probabilities.length; i++) probabilities[i]! /= sum;
  return probabilities;
}
