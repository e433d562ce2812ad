/** The few config.json facts the reference needs, read on its own (not through @ivl/convert). */
export interface ReferenceConfig {
  family: 'qwen2' | 'internlm2' | 'internlm3' | 'qwen3';
  /** transformers' `-hf` layout (text_config, renamed tensors). */
  hf: boolean;
  vision: {
    hidden: number;
    layers: number;
    heads: number;
    intermediate: number;
    patch: number;
    image: number;
    rms: boolean;
    qkNorm: boolean;
    qkvBias: boolean;
    eps: number;
  };
  llm: {
    hidden: number;
    layers: number;
    heads: number;
    kvHeads: number;
    intermediate: number;
    vocab: number;
    theta: number;
    eps: number;
    bias: boolean;
    headDim: number;
    qkNorm: boolean;
    tied: boolean;
    /** Packed `attention.wqkv` and InternLM2's own names (the original InternLM2 layout only). */
    wqkv: boolean;
  };
}

export function readReferenceConfig(config: Record<string, any>): ReferenceConfig {
  const v = config.vision_config;
  const hf = config.text_config !== undefined;
  const l = hf ? config.text_config : config.llm_config;
  const architecture: string = l.architectures?.[0] ?? '';
  const family =
    architecture === 'InternLM2ForCausalLM'
      ? 'internlm2'
      : architecture === 'InternLM3ForCausalLM'
        ? 'internlm3'
        : architecture === 'Qwen3ForCausalLM' || l.model_type === 'qwen3'
          ? 'qwen3'
          : l.model_type === 'llama'
            ? l.vocab_size > 100000
              ? 'internlm3'
              : 'internlm2'
            : 'qwen2';
  const first = (x: any) => (Array.isArray(x) ? x[0] : x);
  return {
    family,
    hf,
    vision: {
      hidden: v.hidden_size,
      layers: v.num_hidden_layers,
      heads: v.num_attention_heads,
      intermediate: v.intermediate_size,
      patch: first(v.patch_size),
      image: hf ? first(v.image_size) : (config.force_image_size ?? v.image_size),
      rms: v.norm_type === 'rms_norm',
      qkNorm: Boolean(hf ? v.use_qk_norm : v.qk_normalization),
      qkvBias: Boolean(hf ? v.attention_bias : v.qkv_bias),
      eps: v.layer_norm_eps ?? 1e-6,
    },
    llm: {
      hidden: l.hidden_size,
      layers: l.num_hidden_layers,
      heads: l.num_attention_heads,
      kvHeads: l.num_key_value_heads ?? l.num_attention_heads,
      intermediate: l.intermediate_size,
      vocab: l.vocab_size,
      theta: l.rope_theta,
      eps: l.rms_norm_eps,
      bias:
        family === 'qwen2'
          ? true
          : hf
            ? Boolean(l.attention_bias)
            : family === 'internlm2'
              ? Boolean(l.bias)
              : family === 'internlm3'
                ? Boolean(l.qkv_bias)
                : Boolean(l.attention_bias),
      headDim: l.head_dim ?? l.hidden_size / l.num_attention_heads,
      qkNorm: family === 'qwen3',
      tied: Boolean(l.tie_word_embeddings),
      wqkv: family === 'internlm2' && !hf,
    },
  };
}
