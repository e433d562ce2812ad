/** erf to ~1e-15: Taylor series near 0, Lentz continued fraction for erfc in the tails. */
export function erf(x: number): number {
  const sign = x < 0 ? -1 : 1;
  const a = Math.abs(x);
  if (a < 2.5) {
    let term = a;
    let sum = a;
    for (let n = 1; n < 200; n++) {
      term *= (-a * a) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return (sign * 2 * sum) / Math.sqrt(Math.PI);
  }
  if (a > 6) return sign;
  // erfc(a) = exp(-a²)/√π · 1/(a + 1/2/(a + 1/(a + 3/2/(a + …))))
  const tiny = 1e-300;
  let f = a;
  let c = a;
  let d = 0;
  for (let n = 1; n < 500; n++) {
    const an = n / 2;
    d = a + an * d;
    d = Math.abs(d) < tiny ? tiny : d;
    c = a + an / c;
    c = Math.abs(c) < tiny ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-a * a) / Math.sqrt(Math.PI) / f;
  return sign * (1 - erfc);
}

export const gelu = (x: number) => 0.5 * x * (1 + erf(x / Math.SQRT2));
export const silu = (x: number) => x / (1 + Math.exp(-x));

/** y[r] = b[r] + Σ_c W[r, c] · x[c] for each row vector x (W is [out, in], row-major, as in PyTorch). */
export function linear(
  x: Float64Array,
  rows: number,
  inFeatures: number,
  weight: ArrayLike<number>,
  outFeatures: number,
  bias?: ArrayLike<number>,
): Float64Array {
  const y = new Float64Array(rows * outFeatures);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outFeatures; o++) {
      let sum = bias ? bias[o]! : 0;
      const w = o * inFeatures;
      const xi = r * inFeatures;
      for (let c = 0; c < inFeatures; c++) sum += weight[w + c]! * x[xi + c]!;
      y[r * outFeatures + o] = sum;
    }
  }
  return y;
}

export function layerNorm(
  x: Float64Array,
  rows: number,
  width: number,
  weight: ArrayLike<number>,
  bias: ArrayLike<number>,
  eps: number,
): Float64Array {
  const y = new Float64Array(x.length);
  for (let r = 0; r < rows; r++) {
    let mean = 0;
    for (let c = 0; c < width; c++) mean += x[r * width + c]!;
    mean /= width;
    let variance = 0;
    for (let c = 0; c < width; c++) variance += (x[r * width + c]! - mean) ** 2;
    variance /= width;
    const inv = 1 / Math.sqrt(variance + eps);
    for (let c = 0; c < width; c++)
      y[r * width + c] = (x[r * width + c]! - mean) * inv * weight[c]! + bias[c]!;
  }
  return y;
}

export function rmsNorm(
  x: Float64Array,
  rows: number,
  width: number,
  weight: ArrayLike<number>,
  eps: number,
): Float64Array {
  const y = new Float64Array(x.length);
  for (let r = 0; r < rows; r++) {
    let squares = 0;
    for (let c = 0; c < width; c++) squares += x[r * width + c]! ** 2;
    const inv = 1 / Math.sqrt(squares / width + eps);
    for (let c = 0; c < width; c++) y[r * width + c] = x[r * width + c]! * inv * weight[c]!;
  }
  return y;
}

export function softmaxInPlace(values: Float64Array, start: number, length: number): void {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < length; i++) max = Math.max(max, values[start + i]!);
  let sum = 0;
  for (let i = 0; i < length; i++) {
    const e = Math.exp(values[start + i]! - max);
    values[start + i] = e;
    sum += e;
  }
  for (let i = 0; i < length; i++) values[start + i]! /= sum;
}
