/** The few config.json facts the reference needs, read on its own (not through @ivl/convert). */
export interface ReferenceConfig {
  family: 'qwen2' | 'internlm2';
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
  };
}

export function readReferenceConfig(config: Record<string, any>): ReferenceConfig {
  const v = config.vision_config;
  const l = config.llm_config;
  const family = l.architectures[0] === 'InternLM2ForCausalLM' ? 'internlm2' : 'qwen2';
  return {
    family,
    vision: {
      hidden: v.hidden_size,
      layers: v.num_hidden_layers,
      heads: v.num_attention_heads,
      intermediate: v.intermediate_size,
      patch: v.patch_size,
      image: config.force_image_size ?? v.image_size,
      rms: v.norm_type === 'rms_norm',
      qkNorm: Boolean(v.qk_normalization),
      qkvBias: Boolean(v.qkv_bias),
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
      bias: family === 'qwen2' ? true : Boolean(l.bias),
    },
  };
}
