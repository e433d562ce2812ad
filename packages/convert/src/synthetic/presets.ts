/** Sizes of a synthetic checkpoint: the fields of a real InternVLChatConfig. */
export interface SyntheticPreset {
  readonly family: 'qwen2' | 'internlm2' | 'internlm3' | 'qwen3';
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
    /** Set where the config names one (Qwen3, InternLM3); otherwise hidden / heads. */
    readonly headDim?: number;
    /** The output head is the embedding table (no `lm_head` tensor), as Qwen3-0.6B. */
    readonly tiedEmbeddings?: boolean;
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
  /**
   * Qwen3 LLM (InternVL3.5 dense): per-head q/k RMSNorm, no qkv bias, a head size (32) that is not
   * hidden / heads (16), tied embeddings, as InternVL3.5-1B's Qwen3-0.6B.
   */
  'tiny-qwen3': {
    family: 'qwen3',
    vision: { hidden: 32, layers: 2, heads: 2, intermediate: 64, style: '300m' },
    llm: {
      hidden: 64,
      layers: 2,
      heads: 4,
      kvHeads: 2,
      headDim: 32,
      intermediate: 128,
      vocabSize: 151936,
      ropeTheta: 1e6,
      rmsEps: 1e-6,
      tiedEmbeddings: true,
    },
  },
  /** InternLM3 LLM (InternVL3-9B): Llama-style names, no biases, head_dim in the config, dynamic RoPE scaling. */
  'tiny-internlm3': {
    family: 'internlm3',
    vision: { hidden: 32, layers: 2, heads: 2, intermediate: 64, style: '300m' },
    llm: {
      hidden: 64,
      layers: 2,
      heads: 4,
      kvHeads: 2,
      headDim: 16,
      intermediate: 128,
      vocabSize: 128512,
      ropeTheta: 5e7,
      rmsEps: 1e-5,
    },
  },
  /** InternVL3.5-1B: InternViT-300M + Qwen3-0.6B. */
  'internvl3_5-1b': {
    family: 'qwen3',
    vision: { hidden: 1024, layers: 24, heads: 16, intermediate: 4096, style: '300m' },
    llm: {
      hidden: 1024,
      layers: 28,
      heads: 16,
      kvHeads: 8,
      headDim: 128,
      intermediate: 3072,
      vocabSize: 151936,
      ropeTheta: 1e6,
      rmsEps: 1e-6,
      tiedEmbeddings: true,
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

const LLM_CONFIG = {
  qwen2: {
    architectures: ['Qwen2ForCausalLM'],
    model_type: 'qwen2',
    bos_token_id: 151643,
    eos_token_id: 151645,
    pad_token_id: 151643,
    use_sliding_window: false,
    sliding_window: 32768,
  },
  qwen3: {
    architectures: ['Qwen3ForCausalLM'],
    model_type: 'qwen3',
    bos_token_id: 151643,
    eos_token_id: 151645,
    attention_bias: false,
    rope_scaling: null,
    use_sliding_window: false,
    sliding_window: null,
  },
  internlm2: {
    architectures: ['InternLM2ForCausalLM'],
    model_type: 'internlm2',
    bos_token_id: 1,
    eos_token_id: 2,
    pad_token_id: 2,
    bias: false,
    rope_scaling: { type: 'dynamic', factor: 2.0 },
  },
  internlm3: {
    architectures: ['InternLM3ForCausalLM'],
    model_type: 'internlm3',
    bos_token_id: 1,
    eos_token_id: 2,
    pad_token_id: 2,
    bias: false,
    qkv_bias: false,
    rope_scaling: { rope_type: 'dynamic', factor: 6.0 },
  },
} as const;

/** The `llm_config` keys the loaders read, per family, as the released configs have them. */
function llmConfig(preset: SyntheticPreset): Record<string, unknown> {
  const { llm, family } = preset;
  return {
    ...LLM_CONFIG[family],
    hidden_size: llm.hidden,
    num_hidden_layers: llm.layers,
    num_attention_heads: llm.heads,
    num_key_value_heads: llm.kvHeads,
    ...(llm.headDim !== undefined && { head_dim: llm.headDim }),
    intermediate_size: llm.intermediate,
    vocab_size: llm.vocabSize,
    rope_theta: llm.ropeTheta,
    rms_norm_eps: llm.rmsEps,
    max_position_embeddings: family === 'qwen3' ? 40960 : 32768,
    hidden_act: 'silu',
    tie_word_embeddings: llm.tiedEmbeddings ?? false,
  };
}

/** The `config.json` a real InternVL 2.5 / 3 / 3.5 checkpoint of this shape carries (the keys the loaders read). */
export function syntheticConfig(preset: SyntheticPreset): Record<string, unknown> {
  const { vision } = preset;
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
    llm_config: llmConfig(preset),
  };
}

/**
 * The `config.json` of the same model as transformers' `convert_internvl_weights_to_hf` writes it
 * (`-hf` checkpoints): `InternVLConfig` with `text_config` (InternLM2/3 become Llama) and the
 * vision keys renamed (`attention_bias`, `use_qk_norm`, sizes as pairs).
 */
export function syntheticHfConfig(preset: SyntheticPreset, imageTokenId: number): Record<string, unknown> {
  const original = syntheticConfig(preset);
  const vision = original.vision_config as Record<string, unknown>;
  const { qkv_bias, qk_normalization, use_flash_attn, drop_path_rate, ...keptVision } = vision;
  const llm = llmConfig(preset);
  const llama = preset.family === 'internlm2' || preset.family === 'internlm3';
  const { bias, qkv_bias: _qkvBias, architectures, model_type, ...keptText } = llm;
  return {
    architectures: ['InternVLForConditionalGeneration'],
    model_type: 'internvl',
    downsample_ratio: 0.5,
    image_seq_length: 256,
    image_token_id: imageTokenId,
    projector_hidden_act: 'gelu',
    vision_feature_layer: -1,
    vision_feature_select_strategy: 'default',
    torch_dtype: 'bfloat16',
    vision_config: {
      ...keptVision,
      architectures: ['InternVisionModel'],
      model_type: 'internvl_vision',
      image_size: [448, 448],
      patch_size: [14, 14],
      attention_bias: qkv_bias,
      use_qk_norm: qk_normalization,
      use_absolute_position_embeddings: true,
      use_mask_token: false,
      use_mean_pooling: true,
      layer_scale_init_value: 0.1,
    },
    text_config: llama
      ? { ...keptText, architectures: ['LlamaForCausalLM'], model_type: 'llama', attention_bias: false }
      : { ...keptText, architectures, model_type },
  };
}
