/** Per-channel weight quantization in the layout of ONNX `MatMulInteger`'s int8 B input. */
export interface PerChannelWeight {
  /** Codes, `[K = in, N = out]` (the transpose of the PyTorch weight), in [−127, 127]. */
  readonly codes: Int8Array;
  /** One scale an output channel, `[N]`: `w[n][k] ≈ codes[k][n] · scales[n]`. */
  readonly scales: Float32Array;
}

/**
 * Quantizes a PyTorch Linear weight `[N = out, K = in]` symmetrically per output channel to 8 bits:
 * each row's largest magnitude maps to ±127. Symmetric (zero point 0) because the integer GEMM
 * subtracts a zero point of B per column at a cost, and −128 is left out so that the codes are
 * symmetric about 0 like the weights.
 */
export function quantizePerChannel(
  weight: Float32Array,
  outFeatures: number,
  inFeatures: number,
): PerChannelWeight {
  const codes = new Int8Array(inFeatures * outFeatures);
  const scales = new Float32Array(outFeatures);
  for (let n = 0; n < outFeatures; n++) {
    const row = n * inFeatures;
    let max = 0;
    for (let k = 0; k < inFeatures; k++) max = Math.max(max, Math.abs(weight[row + k]!));
    // An all-zero channel keeps scale 1 and codes 0, so it stays exactly zero.
    const scale = max > 0 ? max / 127 : 1;
    scales[n] = scale;
    for (let k = 0; k < inFeatures; k++) codes[k * outFeatures + n] = Math.round(weight[row + k]! / scale);
  }
  return { codes, scales };
}
