const SHRINKS = [1, 0.95, 0.9, 0.85, 0.8, 0.75, 0.7];

/** Block-wise weight quantization in the layout of ORT's `com.microsoft.MatMulNBits`. */
export interface QuantizedWeight {
  /** Codes, `[N, kBlocks, blockSize · bits / 8]`, packed low-first along K. */
  readonly packed: Uint8Array;
  /** One scale a block, `[N · kBlocks]`. */
  readonly scales: Float32Array;
  /** One zero point a block: 4-bit packed two a byte (low nibble first), 8-bit one a byte. */
  readonly zeroPoints: Uint8Array;
  readonly kBlocks: number;
}

/**
 * Quantizes a PyTorch Linear weight `[N = out, K = in]` asymmetrically per block of `blockSize`
 * values along K: `w ≈ (code − zero) · scale`, codes in [0, 2^bits − 1], each block's range chosen
 * for the least squared error.
 */
export function quantizeBlockwise(
  weight: Float32Array,
  outFeatures: number,
  inFeatures: number,
  bits: 4 | 8,
  blockSize: number,
): QuantizedWeight {
  const kBlocks = Math.ceil(inFeatures / blockSize);
  const levels = 2 ** bits - 1;
  const blobSize = (blockSize * bits) / 8;
  const packed = new Uint8Array(outFeatures * kBlocks * blobSize);
  const scales = new Float32Array(outFeatures * kBlocks);
  const zeroBytesPerRow = bits === 4 ? Math.ceil(kBlocks / 2) : kBlocks;
  const zeroPoints = new Uint8Array(outFeatures * zeroBytesPerRow);
  for (let n = 0; n < outFeatures; n++) {
    const row = n * inFeatures;
    for (let block = 0; block < kBlocks; block++) {
      const start = block * blockSize;
      const end = Math.min(inFeatures, start + blockSize);
      // The range always holds 0, so zero maps to a code exactly (padding stays exact).
      let low = 0;
      let high = 0;
      for (let k = start; k < end; k++) {
        const value = weight[row + k]!;
        if (value < low) low = value;
        if (value > high) high = value;
      }
      // Shrinking the range clips a few outliers but refines every other value: keep the shrink
      // (of a fixed set, so results are deterministic) with the least squared error.
      let scale = 1;
      let zero = 0;
      let bestError = Number.POSITIVE_INFINITY;
      for (const shrink of SHRINKS) {
        const candidateScale = high > low ? ((high - low) * shrink) / levels : 1;
        const candidateZero = Math.min(levels, Math.max(0, Math.round((-low * shrink) / candidateScale)));
        let error = 0;
        for (let k = start; k < end; k++) {
          const value = weight[row + k]!;
          const code = Math.min(levels, Math.max(0, Math.round(value / candidateScale) + candidateZero));
          error += ((code - candidateZero) * candidateScale - value) ** 2;
        }
        if (error < bestError) {
          bestError = error;
          scale = candidateScale;
          zero = candidateZero;
        }
      }
      scales[n * kBlocks + block] = scale;
      if (bits === 4) zeroPoints[n * zeroBytesPerRow + (block >> 1)]! |= zero << ((block & 1) * 4);
      else zeroPoints[n * zeroBytesPerRow + block] = zero;
      const blob = (n * kBlocks + block) * blobSize;
      for (let k = start; k < start + blockSize; k++) {
        const code =
          k < end ? Math.min(levels, Math.max(0, Math.round(weight[row + k]! / scale) + zero)) : zero;
        const offset = k - start;
        if (bits === 4) packed[blob + (offset >> 1)]! |= code << ((offset & 1) * 4);
        else packed[blob + offset] = code;
      }
    }
  }
  return { packed, scales, zeroPoints, kBlocks };
}
