/** PyTorch Linear weights are [out, in]; MatMul wants [in, out]. */
export function transposeWeight(weight: Float32Array, outFeatures: number, inFeatures: number): Float32Array {
  const transposed = new Float32Array(weight.length);
  for (let o = 0; o < outFeatures; o++) {
    const row = o * inFeatures;
    for (let i = 0; i < inFeatures; i++) transposed[i * outFeatures + o] = weight[row + i]!;
  }
  return transposed;
}
