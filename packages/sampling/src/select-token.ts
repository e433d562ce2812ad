import { checkLogits } from './check-options.js';
import type { Rng } from './rng.js';
import { softmax } from './softmax.js';

/**
 * Index of the largest logit; the first one on ties, as `torch.argmax` in HF greedy search.
 * @throws {InvalidArgumentError} for NaN/+Infinity logits or when all are masked
 */
export function greedyToken(logits: Float32Array): number {
  checkLogits(logits);
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
  return best;
}

/**
 * Draws a token from `softmax(logits)` with `rng`: one uniform draw, then the first index whose
 * cumulative probability exceeds it, so a seed reproduces the same token everywhere.
 * @throws {InvalidArgumentError} for NaN/+Infinity logits or when all are masked
 */
export function sampleToken(logits: Float32Array, rng: Rng): number {
  checkLogits(logits);
  const probabilities = softmax(logits);
  const target = rng.next();
  let cumulative = 0;
  let last = 0;
  for (let i = 0; i < probabilities.length; i++) {
    const p = probabilities[i]!;
    if (p === 0) continue;
    cumulative += p;
    last = i;
    if (cumulative > target) return i;
  }
  // Rounding can leave the total a hair under the draw; the last possible token takes it.
  return last;
}
