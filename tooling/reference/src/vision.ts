import type { ReferenceConfig } from './config.js';
import { gelu, layerNorm, linear, rmsNorm, softmaxInPlace } from './math.js';

export type Weights = (name: string) => Float32Array;

/**
 * InternViT forward of one tile (internvl-spec §5.2) in float64.
 * @param pixels - [3, S, S] for one tile
 * @returns last hidden state without CLS: [grid², C]
 */
export function visionForward(config: ReferenceConfig, weights: Weights, pixels: Float32Array): Float64Array {
  const { hidden: C, layers, heads, intermediate, patch, image, rms, qkNorm, qkvBias, eps } = config.vision;
  const grid = image / patch;
  const tokens = grid * grid + 1;
  const p = 'vision_model.';
  const convW = weights(`${p}embeddings.patch_embedding.weight`);
  const convB = weights(`${p}embeddings.patch_embedding.bias`);
  const cls = weights(`${p}embeddings.class_embedding`);
  const pos = weights(`${p}embeddings.position_embedding`);
  let h: Float64Array<ArrayBufferLike> = new Float64Array(tokens * C);
  for (let c = 0; c < C; c++) h[c] = cls[c]! + pos[c]!;
  for (let py = 0; py < grid; py++) {
    for (let px = 0; px < grid; px++) {
      const t = 1 + py * grid + px;
      for (let c = 0; c < C; c++) {
        let sum = convB[c]!;
        for (let ci = 0; ci < 3; ci++) {
          for (let ky = 0; ky < patch; ky++) {
            for (let kx = 0; kx < patch; kx++) {
              sum +=
                convW[((c * 3 + ci) * patch + ky) * patch + kx]! *
                pixels[(ci * image + py * patch + ky) * image + px * patch + kx]!;
            }
          }
        }
        h[t * C + c] = sum + pos[t * C + c]!;
      }
    }
  }
  const D = C / heads;
  const norm = (x: Float64Array, name: string) =>
    rms
      ? rmsNorm(x, tokens, C, weights(`${name}.weight`), eps)
      : layerNorm(x, tokens, C, weights(`${name}.weight`), weights(`${name}.bias`), eps);
  for (let layer = 0; layer < layers; layer++) {
    const l = `${p}encoder.layers.${layer}.`;
    const a = norm(h, `${l}norm1`);
    const qkv = linear(
      a,
      tokens,
      C,
      weights(`${l}attn.qkv.weight`),
      3 * C,
      qkvBias ? weights(`${l}attn.qkv.bias`) : undefined,
    );
    let q: Float64Array = new Float64Array(tokens * C);
    let k: Float64Array = new Float64Array(tokens * C);
    const v = new Float64Array(tokens * C);
    for (let t = 0; t < tokens; t++) {
      for (let c = 0; c < C; c++) {
        q[t * C + c] = qkv[t * 3 * C + c]!;
        k[t * C + c] = qkv[t * 3 * C + C + c]!;
        v[t * C + c] = qkv[t * 3 * C + 2 * C + c]!;
      }
    }
    if (qkNorm) {
      q = rmsNorm(q, tokens, C, weights(`${l}attn.q_norm.weight`), eps);
      k = rmsNorm(k, tokens, C, weights(`${l}attn.k_norm.weight`), eps);
    }
    const out = new Float64Array(tokens * C);
    const scores = new Float64Array(tokens);
    const scale = D ** -0.5;
    for (let head = 0; head < heads; head++) {
      for (let i = 0; i < tokens; i++) {
        for (let j = 0; j < tokens; j++) {
          let s = 0;
          for (let d = 0; d < D; d++) s += q[i * C + head * D + d]! * scale * k[j * C + head * D + d]!;
          scores[j] = s;
        }
        softmaxInPlace(scores, 0, tokens);
        for (let d = 0; d < D; d++) {
          let sum = 0;
          for (let j = 0; j < tokens; j++) sum += scores[j]! * v[j * C + head * D + d]!;
          out[i * C + head * D + d] = sum;
        }
      }
    }
    const projected = linear(
      out,
      tokens,
      C,
      weights(`${l}attn.proj.weight`),
      C,
      weights(`${l}attn.proj.bias`),
    );
    const ls1 = weights(`${l}ls1`);
    for (let i = 0; i < h.length; i++) h[i]! += projected[i]! * ls1[i % C]!;
    const m = norm(h, `${l}norm2`);
    const up = linear(m, tokens, C, weights(`${l}mlp.fc1.weight`), intermediate, weights(`${l}mlp.fc1.bias`));
    for (let i = 0; i < up.length; i++) up[i] = gelu(up[i]!);
    const down = linear(
      up,
      tokens,
      intermediate,
      weights(`${l}mlp.fc2.weight`),
      C,
      weights(`${l}mlp.fc2.bias`),
    );
    const ls2 = weights(`${l}ls2`);
    for (let i = 0; i < h.length; i++) h[i]! += down[i]! * ls2[i % C]!;
  }
  h = h.subarray(C);
  return h;
}

/**
 * Pixel shuffle v2 by its closed form (internvl-spec §6.1): token i·g+j (g = grid/2) is
 * concat(v[2i,2j], v[2i,2j+1], v[2i+1,2j], v[2i+1,2j+1]).
 */
export function pixelShuffleReference(features: Float64Array, grid: number, C: number): Float64Array {
  const half = grid / 2;
  const out = new Float64Array(features.length);
  for (let i = 0; i < half; i++) {
    for (let j = 0; j < half; j++) {
      const t = i * half + j;
      let block = 0;
      for (const [dy, dx] of [
        [0, 0],
        [0, 1],
        [1, 0],
        [1, 1],
      ] as const) {
        const source = (2 * i + dy) * grid + (2 * j + dx);
        for (let c = 0; c < C; c++) out[t * 4 * C + block * C + c] = features[source * C + c]!;
        block++;
      }
    }
  }
  return out;
}

/** mlp1: LayerNorm(4C, eps 1e-5) → Linear → GELU → Linear (internvl-spec §6.2). */
export function projectorForward(
  config: ReferenceConfig,
  weights: Weights,
  shuffled: Float64Array,
): Float64Array {
  const width = 4 * config.vision.hidden;
  const D = config.llm.hidden;
  const rows = shuffled.length / width;
  const normed = layerNorm(shuffled, rows, width, weights('mlp1.0.weight'), weights('mlp1.0.bias'), 1e-5);
  const hidden = linear(normed, rows, width, weights('mlp1.1.weight'), D, weights('mlp1.1.bias'));
  for (let i = 0; i < hidden.length; i++) hidden[i] = gelu(hidden[i]!);
  return linear(hidden, rows, D, weights('mlp1.3.weight'), D, weights('mlp1.3.bias'));
}
