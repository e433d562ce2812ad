/** A source of uniform random numbers in [0, 1). */
export interface Rng {
  /** Next uniform double in [0, 1), with 53 random bits. */
  next(): number;
}

/**
 * A seeded xoshiro128** generator: 32-bit integer arithmetic only, so the same seed gives the same
 * sequence in every JavaScript engine (unlike `Math.random`).
 *
 * @example
 * ```ts
 * const rng = createRng(42);
 * rng.next(); // the same number on every platform
 * ```
 */
export function createRng(seed: number): Rng {
  // SplitMix32 spreads one seed over the four words of state.
  let s = seed >>> 0;
  const splitmix = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  const nextUint32 = () => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result;
  };
  return {
    next() {
      const high = nextUint32() >>> 5; // 27 bits
      const low = nextUint32() >>> 6; // 26 bits
      return (high * 67108864 + low) / 9007199254740992;
    },
  };
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
