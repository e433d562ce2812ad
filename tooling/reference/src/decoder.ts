import type { ReferenceConfig } from './config.js';
import { linear, rmsNorm, silu, softmaxInPlace } from './math.js';
import type { Weights } from './vision.js';

/**
 * A float64 Qwen2 / Qwen3 / InternLM2 / InternLM3 decoder with a growing KV cache (batch 1), from
 * internvl-spec §7; Qwen3 as transformers' Qwen3Attention (RMSNorm of each q/k head before RoPE).
 */
export class ReferenceDecoder {
  private readonly keys: Float64Array[][] = [];
  private readonly values: Float64Array[][] = [];
  private length = 0;

  constructor(
    private readonly config: ReferenceConfig,
    private readonly weights: Weights,
  ) {
    for (let i = 0; i < config.llm.layers; i++) {
      this.keys.push([]);
      this.values.push([]);
    }
  }

  /** Token embeddings [T, D] for ids. */
  embed(ids: readonly number[]): Float64Array {
    const { hidden: D } = this.config.llm;
    const table = this.weights(this.embedName());
    const out = new Float64Array(ids.length * D);
    ids.forEach((id, t) => {
      for (let c = 0; c < D; c++) out[t * D + c] = table[id * D + c]!;
    });
    return out;
  }

  private embedName(): string {
    return this.config.llm.wqkv
      ? 'language_model.model.tok_embeddings.weight'
      : 'language_model.model.embed_tokens.weight';
  }

  private projections(layer: number, x: Float64Array, T: number) {
    const { hidden: D, heads: H, kvHeads: KV, bias, headDim: Dh } = this.config.llm;
    const p = `language_model.model.layers.${layer}.`;
    if (!this.config.llm.wqkv) {
      return {
        q: linear(
          x,
          T,
          D,
          this.weights(`${p}self_attn.q_proj.weight`),
          H * Dh,
          bias ? this.weights(`${p}self_attn.q_proj.bias`) : undefined,
        ),
        k: linear(
          x,
          T,
          D,
          this.weights(`${p}self_attn.k_proj.weight`),
          KV * Dh,
          bias ? this.weights(`${p}self_attn.k_proj.bias`) : undefined,
        ),
        v: linear(
          x,
          T,
          D,
          this.weights(`${p}self_attn.v_proj.weight`),
          KV * Dh,
          bias ? this.weights(`${p}self_attn.v_proj.bias`) : undefined,
        ),
      };
    }
    // wqkv rows: per kv head g, G query heads then its k then its v (internvl-spec §7.3).
    const G = H / KV;
    const packed = linear(
      x,
      T,
      D,
      this.weights(`${p}attention.wqkv.weight`),
      (H + 2 * KV) * Dh,
      bias ? this.weights(`${p}attention.wqkv.bias`) : undefined,
    );
    const q = new Float64Array(T * H * Dh);
    const k = new Float64Array(T * KV * Dh);
    const v = new Float64Array(T * KV * Dh);
    const width = (H + 2 * KV) * Dh;
    for (let t = 0; t < T; t++) {
      for (let g = 0; g < KV; g++) {
        const block = t * width + g * (G + 2) * Dh;
        for (let j = 0; j < G; j++)
          for (let d = 0; d < Dh; d++) q[t * H * Dh + (g * G + j) * Dh + d] = packed[block + j * Dh + d]!;
        for (let d = 0; d < Dh; d++) {
          k[t * KV * Dh + g * Dh + d] = packed[block + G * Dh + d]!;
          v[t * KV * Dh + g * Dh + d] = packed[block + (G + 1) * Dh + d]!;
        }
      }
    }
    return { q, k, v };
  }

  /** RMSNorm of each head's Dh values with one shared weight (Qwen3's q_norm / k_norm). */
  private headNorm(x: Float64Array, rows: number, name: string): Float64Array {
    return rmsNorm(x, rows, this.config.llm.headDim, this.weights(name), this.config.llm.eps);
  }

  private rope(x: Float64Array, T: number, heads: number, positions: readonly number[]): void {
    const Dh = this.config.llm.headDim;
    const half = Dh / 2;
    for (let t = 0; t < T; t++) {
      for (let h = 0; h < heads; h++) {
        const base = (t * heads + h) * Dh;
        for (let i = 0; i < half; i++) {
          const angle = positions[t]! / this.config.llm.theta ** ((2 * i) / Dh);
          const cos = Math.cos(angle);
          const sin = Math.sin(angle);
          const a = x[base + i]!;
          const b = x[base + half + i]!;
          x[base + i] = a * cos - b * sin;
          x[base + half + i] = b * cos + a * sin;
        }
      }
    }
  }

  /** Runs `embeds` [T, D] at `positions` after what is cached; returns logits [T, V]. */
  forward(embeds: Float64Array, positions: readonly number[], { lastOnly = false } = {}): Float64Array {
    const { hidden: D, heads: H, kvHeads: KV, intermediate: I, vocab: V, eps, layers } = this.config.llm;
    const T = positions.length;
    const Dh = this.config.llm.headDim;
    const G = H / KV;
    const h = Float64Array.from(embeds);
    const qwen = !this.config.llm.wqkv;
    for (let layer = 0; layer < layers; layer++) {
      const p = `language_model.model.layers.${layer}.`;
      const x = rmsNorm(
        h,
        T,
        D,
        this.weights(`${p}${qwen ? 'input_layernorm' : 'attention_norm'}.weight`),
        eps,
      );
      let { q, k, v } = this.projections(layer, x, T);
      if (this.config.llm.qkNorm) {
        q = this.headNorm(q, T * H, `${p}self_attn.q_norm.weight`);
        k = this.headNorm(k, T * KV, `${p}self_attn.k_norm.weight`);
      }
      this.rope(q, T, H, positions);
      this.rope(k, T, KV, positions);
      for (let t = 0; t < T; t++) {
        this.keys[layer]!.push(k.slice(t * KV * Dh, (t + 1) * KV * Dh));
        this.values[layer]!.push(v.slice(t * KV * Dh, (t + 1) * KV * Dh));
      }
      const attended = new Float64Array(T * H * Dh);
      const scores = new Float64Array(this.length + T);
      for (let t = 0; t < T; t++) {
        const visible = this.length + t + 1;
        for (let head = 0; head < H; head++) {
          const kvHead = Math.floor(head / G);
          for (let j = 0; j < visible; j++) {
            let s = 0;
            for (let d = 0; d < Dh; d++)
              s += q[(t * H + head) * Dh + d]! * this.keys[layer]![j]![kvHead * Dh + d]!;
            scores[j] = s / Math.sqrt(Dh);
          }
          softmaxInPlace(scores, 0, visible);
          for (let d = 0; d < Dh; d++) {
            let sum = 0;
            for (let j = 0; j < visible; j++) sum += scores[j]! * this.values[layer]![j]![kvHead * Dh + d]!;
            attended[(t * H + head) * Dh + d] = sum;
          }
        }
      }
      const o = linear(
        attended,
        T,
        H * Dh,
        this.weights(`${p}${qwen ? 'self_attn.o_proj' : 'attention.wo'}.weight`),
        D,
      );
      for (let i = 0; i < h.length; i++) h[i]! += o[i]!;
      const m = rmsNorm(
        h,
        T,
        D,
        this.weights(`${p}${qwen ? 'post_attention_layernorm' : 'ffn_norm'}.weight`),
        eps,
      );
      const gate = linear(
        m,
        T,
        D,
        this.weights(`${p}${qwen ? 'mlp.gate_proj' : 'feed_forward.w1'}.weight`),
        I,
      );
      const up = linear(m, T, D, this.weights(`${p}${qwen ? 'mlp.up_proj' : 'feed_forward.w3'}.weight`), I);
      for (let i = 0; i < gate.length; i++) gate[i] = silu(gate[i]!) * up[i]!;
      const down = linear(
        gate,
        T,
        I,
        this.weights(`${p}${qwen ? 'mlp.down_proj' : 'feed_forward.w2'}.weight`),
        D,
      );
      for (let i = 0; i < h.length; i++) h[i]! += down[i]!;
    }
    this.length += T;
    const rows = lastOnly ? 1 : T;
    const normed = rmsNorm(
      h.subarray((T - rows) * D),
      rows,
      D,
      this.weights('language_model.model.norm.weight'),
      eps,
    );
    return linear(
      normed,
      rows,
      D,
      this.weights(
        this.config.llm.tied
          ? this.embedName()
          : qwen
            ? 'language_model.lm_head.weight'
            : 'language_model.output.weight',
      ),
      V,
    );
  }
}
