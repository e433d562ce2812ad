import { CheckpointError, type LlmFamily, type VisionVariant } from '@ivl/core';

/** The model's shape, read from an InternVL `config.json`. */
export interface ModelSpec {
  /**
   * `internvl`: the original `InternVLChatModel` layout (`vision_model.*`, `mlp1.*`,
   * `language_model.*`); `hf`: transformers' `InternVLForConditionalGeneration` (`-hf` checkpoints:
   * `vision_tower.*`, `multi_modal_projector.*`, split q/k/v, `lambda_1/2`, `layernorm_before/after`).
   */
  readonly layout: 'internvl' | 'hf';
  readonly vision: {
    readonly variant: VisionVariant;
    readonly hidden: number;
    readonly layers: number;
    readonly heads: number;
    readonly intermediate: number;
    readonly qkvBias: boolean;
    readonly qkNorm: boolean;
    readonly norm: 'layer_norm' | 'rms_norm';
    readonly eps: number;
    readonly patchSize: number;
    readonly imageSize: number;
  };
  readonly llm: {
    readonly family: LlmFamily;
    /** Qwen3's RMSNorm of each query and key head (weights [headDim]) before RoPE. */
    readonly qkNorm: boolean;
    /** The output head is the embedding table (no `lm_head` tensor). */
    readonly tiedEmbeddings: boolean;
    readonly hidden: number;
    readonly layers: number;
    readonly heads: number;
    readonly kvHeads: number;
    readonly headDim: number;
    readonly intermediate: number;
    readonly vocabSize: number;
    readonly ropeTheta: number;
    readonly rmsEps: number;
    readonly attentionBias: boolean;
    readonly maxPositionEmbeddings: number;
  };
  readonly downsampleRatio: number;
  readonly template: string;
  readonly numImageToken: number;
  readonly systemMessage?: string;
}

type Json = Record<string, unknown>;

function field<T>(path: string, object: Json, key: string, check: (v: unknown) => boolean, what: string): T {
  const value = object[key];
  if (!check(value)) {
    throw new CheckpointError({
      path,
      message: `${path}: \`${key}\` must be ${what}, got ${JSON.stringify(value)}.`,
    });
  }
  return value as T;
}
const positiveInteger = (v: unknown) => Number.isInteger(v) && (v as number) > 0;
const positiveNumber = (v: unknown) => typeof v === 'number' && v > 0;

const ARCHITECTURES: Record<string, LlmFamily> = {
  Qwen2ForCausalLM: 'qwen2',
  InternLM2ForCausalLM: 'internlm2',
  InternLM3ForCausalLM: 'internlm3',
  Qwen3ForCausalLM: 'qwen3',
};
// What each unsupported backbone of InternVL 3.5 would need (README, "Models").
const NOT_YET: Record<string, string> = {
  Qwen3MoeForCausalLM:
    'Qwen3-MoE (InternVL3.5-30B-A3B, -241B-A28B) needs a mixture-of-experts decoder graph (128 experts, top-8 routing), which the converter does not build yet',
  GptOssForCausalLM:
    'GPT-OSS (InternVL3.5-GPT-OSS-20B-A4B) needs attention sinks, sliding-window layers, MoE and its Harmony template, which the converter does not build yet',
};

/** The `-hf` text config names its model type, not always an architecture. */
function hfFamily(path: string, text: Json): LlmFamily {
  const architecture = ((text.architectures as string[] | undefined) ?? [])[0];
  if (architecture && ARCHITECTURES[architecture]) return ARCHITECTURES[architecture]!;
  const type = text.model_type;
  if (type === 'qwen2') return 'qwen2';
  if (type === 'qwen3') return 'qwen3';
  // transformers converts InternLM2 and InternLM3 backbones to Llama (split q/k/v, Llama names);
  // their vocabularies tell them apart (InternLM2 92,553 with InternVL's tokens, InternLM3 128,512).
  if (type === 'llama' || type === 'internlm2' || type === 'internlm3') {
    return typeof text.vocab_size === 'number' && text.vocab_size > 100_000 ? 'internlm3' : 'internlm2';
  }
  throw unsupported(path, architecture ?? String(type));
}

function unsupported(path: string, what: string): CheckpointError {
  const reason = NOT_YET[what];
  return new CheckpointError({
    path,
    message: reason
      ? `${path}: ${what}: ${reason}. Supported: ${Object.keys(ARCHITECTURES).join(', ')}.`
      : `${path}: unknown LLM architecture ${JSON.stringify(what)}. Supported: ${Object.keys(ARCHITECTURES).join(', ')}.`,
  });
}

const side = (value: unknown): unknown => (Array.isArray(value) ? value[0] : value);

/**
 * Reads the `config.json` of an InternVL checkpoint in either layout: an `InternVLChatConfig`
 * (`vision_config` + `llm_config`) or transformers' `InternVLConfig` (`vision_config` +
 * `text_config`, the `-hf` checkpoints).
 * @throws {CheckpointError} for an unknown architecture or missing/invalid fields
 */
export function parseInternVLConfig(config: Json, path = 'config.json'): ModelSpec {
  const vision = config.vision_config as Json | undefined;
  const hf = config.text_config !== undefined && config.llm_config === undefined;
  const llm = (hf ? config.text_config : config.llm_config) as Json | undefined;
  if (!vision || !llm || typeof vision !== 'object' || typeof llm !== 'object') {
    throw new CheckpointError({
      path,
      message: `${path}: expected an InternVLChatConfig with vision_config and llm_config, or an InternVLConfig with vision_config and text_config.`,
    });
  }
  let family: LlmFamily;
  if (hf) {
    family = hfFamily(path, llm);
  } else {
    const architecture = ((llm.architectures as string[] | undefined) ?? [])[0];
    const known = architecture === undefined ? undefined : ARCHITECTURES[architecture];
    if (!known) throw unsupported(path, String(architecture));
    family = known;
  }
  if ((config.ps_version ?? 'v2') !== 'v2') {
    throw new CheckpointError({
      path,
      message: `${path}: ps_version ${JSON.stringify(config.ps_version)} is not supported (InternVL 2.5, 3 and 3.5 use v2).`,
    });
  }
  const scaling = llm.rope_scaling as Json | null | undefined;
  const scalingType = scaling ? (scaling.rope_type ?? scaling.type) : undefined;
  // Dynamic NTK scaling changes nothing up to max_position_embeddings, where the runtime stops.
  if (scalingType !== undefined && scalingType !== 'dynamic' && scalingType !== 'default') {
    throw new CheckpointError({
      path,
      message: `${path}: rope_scaling ${JSON.stringify(scaling)} is not supported (only none or "dynamic", which InternLM uses).`,
    });
  }
  const featureLayer = hf ? config.vision_feature_layer : config.select_layer;
  if (featureLayer !== undefined && featureLayer !== -1) {
    throw new CheckpointError({
      path,
      message: `${path}: ${hf ? 'vision_feature_layer' : 'select_layer'} is ${JSON.stringify(featureLayer)}; the converter takes the vision encoder's last layer (-1), as every released InternVL 2.5/3/3.5 does.`,
    });
  }
  if (hf && (config.vision_feature_select_strategy ?? 'default') !== 'default') {
    throw new CheckpointError({
      path,
      message: `${path}: vision_feature_select_strategy ${JSON.stringify(config.vision_feature_select_strategy)} is not supported (InternVL drops the class token: "default").`,
    });
  }
  if (hf && vision.use_mean_pooling === false) {
    throw new CheckpointError({
      path,
      message: `${path}: vision_config.use_mean_pooling is false (a final LayerNorm after the encoder); InternVL checkpoints set it true.`,
    });
  }
  const visionHidden = field<number>(path, vision, 'hidden_size', positiveInteger, 'a positive integer');
  const norm = (vision.norm_type ?? 'rms_norm') as 'layer_norm' | 'rms_norm';
  const hidden = field<number>(path, llm, 'hidden_size', positiveInteger, 'a positive integer');
  const heads = field<number>(path, llm, 'num_attention_heads', positiveInteger, 'a positive integer');
  const imageSize = hf
    ? field<number>(
        path,
        { image_size: side(vision.image_size) },
        'image_size',
        positiveInteger,
        'a positive integer',
      )
    : ((config.force_image_size as number | undefined) ??
      field<number>(path, vision, 'image_size', positiveInteger, 'a positive integer'));
  const patchSize = field<number>(
    path,
    { patch_size: side(vision.patch_size) },
    'patch_size',
    positiveInteger,
    'a positive integer',
  );
  const downsampleRatio = (config.downsample_ratio as number | undefined) ?? 0.5;
  const systemMessage = typeof config.system_message === 'string' ? config.system_message : undefined;
  const headDim =
    llm.head_dim === undefined || llm.head_dim === null
      ? hidden / heads
      : field<number>(path, llm, 'head_dim', positiveInteger, 'a positive integer');
  // Qwen2 always has q/k/v biases; Qwen3 and Llama-style configs say so in `attention_bias`;
  // InternLM2 in `bias`, InternLM3 in `qkv_bias`.
  const attentionBias =
    family === 'qwen2'
      ? true
      : family === 'internlm2' && !hf
        ? Boolean(llm.bias)
        : family === 'internlm3' && !hf
          ? Boolean(llm.qkv_bias)
          : Boolean(llm.attention_bias);
  if (family === 'internlm3' && !hf && llm.bias === true) {
    throw new CheckpointError({
      path,
      message: `${path}: llm_config.bias is true (an o_proj bias); released InternLM3 checkpoints have none, and the converter does not read one.`,
    });
  }
  return {
    layout: hf ? 'hf' : 'internvl',
    vision: {
      variant: norm === 'rms_norm' ? '6b' : '300m',
      hidden: visionHidden,
      layers: field<number>(path, vision, 'num_hidden_layers', positiveInteger, 'a positive integer'),
      heads: field<number>(path, vision, 'num_attention_heads', positiveInteger, 'a positive integer'),
      intermediate: field<number>(path, vision, 'intermediate_size', positiveInteger, 'a positive integer'),
      qkvBias: Boolean(hf ? vision.attention_bias : vision.qkv_bias),
      qkNorm: Boolean(hf ? vision.use_qk_norm : vision.qk_normalization),
      norm,
      eps: (vision.layer_norm_eps as number | undefined) ?? 1e-6,
      patchSize,
      imageSize,
    },
    llm: {
      family,
      qkNorm: family === 'qwen3',
      tiedEmbeddings: Boolean(llm.tie_word_embeddings),
      hidden,
      layers: field<number>(path, llm, 'num_hidden_layers', positiveInteger, 'a positive integer'),
      heads,
      kvHeads: (llm.num_key_value_heads as number | undefined) ?? heads,
      headDim,
      intermediate: field<number>(path, llm, 'intermediate_size', positiveInteger, 'a positive integer'),
      vocabSize: field<number>(path, llm, 'vocab_size', positiveInteger, 'a positive integer'),
      ropeTheta: field<number>(path, llm, 'rope_theta', positiveNumber, 'a positive number'),
      rmsEps: field<number>(path, llm, 'rms_norm_eps', positiveNumber, 'a positive number'),
      attentionBias,
      maxPositionEmbeddings: (llm.max_position_embeddings as number | undefined) ?? 32768,
    },
    downsampleRatio,
    template: (config.template as string | undefined) ?? 'internvl2_5',
    numImageToken: Math.trunc((imageSize / patchSize) ** 2 * downsampleRatio ** 2),
    ...(systemMessage !== undefined && { systemMessage }),
  };
}
