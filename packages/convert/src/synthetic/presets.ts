/** Sizes of a synthetic checkpoint: the fields of a real InternVLChatConfig. */
export interface SyntheticPreset {
  readonly family: 'qwen2' | 'internlm2';
  readonly vision: {
    readonly hidden: number;
    readonly layers: number;
    readonly heads: number;
    readonly intermediate: number;
    readonly style: '300m' | '6b';
  };
  readonly llm: {
    readonly hidden: number;
    readonly layers: number;
    readonly heads: number;
    readonly kvHeads: number;
    readonly intermediate: number;
    readonly vocabSize: number;
    readonly ropeTheta: number;
    readonly rmsEps: number;
  };
}

/** Presets: tiny models of each family for tests, and the real shapes for benchmarks. */
export const SYNTHETIC_PRESETS = {
  /** Qwen2 LLM + InternViT-300M-style vision (LayerNorm, qkv bias), the 1B/4B layout. */
  'tiny-qwen2': {
    family: 'qwen2',
    vision: { hidden: 32, layers: 2, heads: 2, intermediate: 64, style: '300m' },
    llm: {
      hidden: 64,
      layers: 2,
      heads: 4,
      kvHeads: 2,
      intermediate: 128,
      vocabSize: 151674,
      ropeTheta: 1e6,
      rmsEps: 1e-6,
    },
  },
  /** InternLM2 LLM + InternViT-6B-style vision (RMSNorm, q/k norm, no qkv bias), the 26B layout. */
  'tiny-internlm2': {
    family: 'internlm2',
    vision: { hidden: 32, layers: 2, heads: 2, intermediate: 64, style: '6b' },
    llm: {
      hidden: 64,
      layers: 2,
      heads: 4,
      kvHeads: 2,
      intermediate: 128,
      vocabSize: 92553,
      ropeTheta: 1e6,
      rmsEps: 1e-5,
    },
  },
  'internvl2_5-1b': {
    family: 'qwen2',
    vision: { hidden: 1024, layers: 24, heads: 16, intermediate: 4096, style: '300m' },
    llm: {
      hidden: 896,
      layers: 24,
      heads: 14,
      kvHeads: 2,
      intermediate: 4864,
      vocabSize: 151674,
      ropeTheta: 1e6,
      rmsEps: 1e-6,
    },
  },
  'internvl2_5-2b': {
    family: 'internlm2',
    vision: { hidden: 1024, layers: 24, heads: 16, intermediate: 4096, style: '300m' },
    llm: {
      hidden: 2048,
      layers: 24,
      heads: 16,
      kvHeads: 8,
      intermediate: 8192,
      vocabSize: 92553,
      ropeTheta: 1e6,
      rmsEps: 1e-5,
    },
  },
} as const satisfies Record<string, SyntheticPreset>;

export type SyntheticPresetName = keyof typeof SYNTHETIC_PRESETS;

/** The `config.json` a real InternVL 2.5 checkpoint of this shape carries (the keys the loaders read). */
export function syntheticConfig(preset: SyntheticPreset): Record<string, unknown> {
  const { vision, llm, family } = preset;
  const qwen = family === 'qwen2';
  return {
    architectures: ['InternVLChatModel'],
    model_type: 'internvl_chat',
    auto_map: {
      AutoConfig: 'configuration_internvl_chat.InternVLChatConfig',
      AutoModel: 'modeling_internvl_chat.InternVLChatModel',
    },
    downsample_ratio: 0.5,
    dynamic_image_size: true,
    force_image_size: 448,
    max_dynamic_patch: 12,
    min_dynamic_patch: 1,
    ps_version: 'v2',
    select_layer: -1,
    template: 'internvl2_5',
    torch_dtype: 'bfloat16',
    use_thumbnail: true,
    vision_config: {
      architectures: ['InternVisionModel'],
      model_type: 'intern_vit_6b',
      hidden_size: vision.hidden,
      num_hidden_layers: vision.layers,
      num_attention_heads: vision.heads,
      intermediate_size: vision.intermediate,
      hidden_act: 'gelu',
      image_size: 448,
      patch_size: 14,
      num_channels: 3,
      layer_norm_eps: 1e-6,
      norm_type: vision.style === '300m' ? 'layer_norm' : 'rms_norm',
      qkv_bias: vision.style === '300m',
      qk_normalization: vision.style === '6b',
      use_flash_attn: true,
      drop_path_rate: 0,
      initializer_factor: 1,
    },
    llm_config: {
      architectures: [qwen ? 'Qwen2ForCausalLM' : 'InternLM2ForCausalLM'],
      model_type: qwen ? 'qwen2' : 'internlm2',
      hidden_size: llm.hidden,
      num_hidden_layers: llm.layers,
      num_attention_heads: llm.heads,
      num_key_value_heads: llm.kvHeads,
      intermediate_size: llm.intermediate,
      vocab_size: llm.vocabSize,
      rope_theta: llm.ropeTheta,
      rms_norm_eps: llm.rmsEps,
      max_position_embeddings: 32768,
      hidden_act: 'silu',
      tie_word_embeddings: false,
      bos_token_id: qwen ? 151643 : 1,
      eos_token_id: qwen ? 151645 : 2,
      pad_token_id: qwen ? 151643 : 2,
      ...(qwen
        ? { use_sliding_window: false, sliding_window: 32768 }
        : { bias: false, rope_scaling: { type: 'dynamic', factor: 2.0 } }),
    },
  };
}
