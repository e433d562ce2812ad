import { InvalidArgumentError } from '@ivl/core';

/** @internal Throws unless `value` is a finite number within [min, max] (bounds inclusive unless stated). */
export function checkRange(
  argument: string,
  value: number,
  {
    min,
    max,
    minExclusive = false,
    integer = false,
  }: { min: number; max: number; minExclusive?: boolean; integer?: boolean },
): void {
  const inRange = Number.isFinite(value) && (minExclusive ? value > min : value >= min) && value <= max;
  if (!inRange || (integer && !Number.isInteger(value))) {
    const range = `${minExclusive ? '(' : '['}${min}, ${max === Number.POSITIVE_INFINITY ? '∞)' : `${max}]`}`;
    throw new InvalidArgumentError({
      argument,
      message: `\`${argument}\` must be ${integer ? 'an integer' : 'a number'} in ${range}, got ${value}.`,
    });
  }
}

/**
 * @internal Logits must be finite or -Infinity (a masked token), and at least one must be finite.
 */
export function checkLogits(logits: Float32Array): void {
  let finite = 0;
  for (let i = 0; i < logits.length; i++) {
    const value = logits[i]!;
    if (Number.isNaN(value) || value === Number.POSITIVE_INFINITY) {
      throw new InvalidArgumentError({
        argument: 'logits',
        message:
          `Logit ${i} is ${value}; logits must be finite (or -Infinity to mask a token). ` +
          'This usually means the model overflowed: try float32 weights instead of float16.',
      });
    }
    if (value !== Number.NEGATIVE_INFINITY) finite++;
  }
  if (finite === 0) {
    throw new InvalidArgumentError({
      argument: 'logits',
      message: `All ${logits.length} logits are -Infinity: every token is masked, so none can be chosen. Relax banned tokens or filters.`,
    });
  }
}
