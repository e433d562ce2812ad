/**
 * Splits InternLM2's packed `wqkv` [(H + 2·KV)·Dh, D] into q [H·Dh, D], k and v [KV·Dh, D]:
 * rows come in KV blocks of (G query heads, then k, then v), G = H / KV (internvl-spec §7.3).
 * Works for the bias vector too (D = 1).
 */
export function splitWqkv(
  packed: Float32Array,
  {
    heads,
    kvHeads,
    headDim,
    inFeatures,
  }: { heads: number; kvHeads: number; headDim: number; inFeatures: number },
): { q: Float32Array; k: Float32Array; v: Float32Array } {
  const G = heads / kvHeads;
  const rowBytes = headDim * inFeatures;
  const q = new Float32Array(heads * rowBytes);
  const k = new Float32Array(kvHeads * rowBytes);
  const v = new Float32Array(kvHeads * rowBytes);
  for (let block = 0; block < kvHeads; block++) {
    const start = block * (G + 2) * rowBytes;
    q.set(packed.subarray(start, start + G * rowBytes), block * G * rowBytes);
    k.set(packed.subarray(start + G * rowBytes, start + (G + 1) * rowBytes), block * rowBytes);
    v.set(packed.subarray(start + (G + 1) * rowBytes, start + (G + 2) * rowBytes), block * rowBytes);
  }
  return { q, k, v };
}
