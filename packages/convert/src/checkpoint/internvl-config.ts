import { CheckpointError, type LlmFamily, type VisionVariant } from '@ivl/core';

/** The model's shape, read from an InternVL `config.json`. */
export interface ModelSpec {
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

/**
 * Reads an `InternVLChatConfig` (`config.json` of an InternVL checkpoint).
 * @throws {CheckpointError} for an unknown architecture or missing/invalid fields
 */
export function parseInternVLConfig(config: Json, path = 'config.json'): ModelSpec {
  const vision = config.vision_config as Json | undefined;
  const llm = config.llm_config as Json | undefined;
  if (!vision || !llm) {
    throw new CheckpointError({
      path,
      message: `${path}: expected an InternVLChatConfig with vision_config and llm_config.`,
    });
  }
  const architecture = ((llm.architectures as string[] | undefined) ?? [])[0];
  const family: LlmFamily | undefined =
    architecture === 'Qwen2ForCausalLM'
      ? 'qwen2'
      : architecture === 'InternLM2ForCausalLM'
        ? 'internlm2'
        : undefined;
  if (!family) {
    throw new CheckpointError({
      path,
      message: `${path}: unknown LLM architecture ${JSON.stringify(architecture)}. Supported: Qwen2ForCausalLM, InternLM2ForCausalLM.`,
    });
  }
  if ((config.ps_version ?? 'v2') !== 'v2') {
    throw new CheckpointError({
      path,
      message: `${path}: ps_version ${JSON.stringify(config.ps_version)} is not supported (InternVL 2.5 uses v2).`,
    });
  }
  const visionHidden = field<number>(path, vision, 'hidden_size', positiveInteger, 'a positive integer');
  const norm = (vision.norm_type ?? 'rms_norm') as 'layer_norm' | 'rms_norm';
  const hidden = field<number>(path, llm, 'hidden_size', positiveInteger, 'a positive integer');
  const heads = field<number>(path, llm, 'num_attention_heads', positiveInteger, 'a positive integer');
  const imageSize =
    (config.force_image_size as number | undefined) ??
    field<number>(path, vision, 'image_size', positiveInteger, 'a positive integer');
  const patchSize = field<number>(path, vision, 'patch_size', positiveInteger, 'a positive integer');
  const downsampleRatio = (config.downsample_ratio as number | undefined) ?? 0.5;
  const systemMessage = typeof config.system_message === 'string' ? config.system_message : undefined;
  return {
    vision: {
      variant: norm === 'rms_norm' ? '6b' : '300m',
      hidden: visionHidden,
      layers: field<number>(path, vision, 'num_hidden_layers', positiveInteger, 'a positive integer'),
      heads: field<number>(path, vision, 'num_attention_heads', positiveInteger, 'a positive integer'),
      intermediate: field<number>(path, vision, 'intermediate_size', positiveInteger, 'a positive integer'),
      qkvBias: Boolean(vision.qkv_bias),
      qkNorm: Boolean(vision.qk_normalization),
      norm,
      eps: (vision.layer_norm_eps as number | undefined) ?? 1e-6,
      patchSize,
      imageSize,
    },
    llm: {
      family,
      hidden,
      layers: field<number>(path, llm, 'num_hidden_layers', positiveInteger, 'a positive integer'),
      heads,
      kvHeads: (llm.num_key_value_heads as number | undefined) ?? heads,
      headDim: hidden / heads,
      intermediate: field<number>(path, llm, 'intermediate_size', positiveInteger, 'a positive integer'),
      vocabSize: field<number>(path, llm, 'vocab_size', positiveInteger, 'a positive integer'),
      ropeTheta: field<number>(path, llm, 'rope_theta', positiveNumber, 'a positive number'),
      rmsEps: field<number>(path, llm, 'rms_norm_eps', positiveNumber, 'a positive number'),
      // Qwen2 always has q/k/v biases; InternLM2 has them only when `bias` is true.
      attentionBias: family === 'qwen2' ? true : Boolean(llm.bias),
      maxPositionEmbeddings: (llm.max_position_embeddings as number | undefined) ?? 32768,
    },
    downsampleRatio,
    template: (config.template as string | undefined) ?? 'internvl2_5',
    numImageToken: Math.trunc((imageSize / patchSize) ** 2 * downsampleRatio ** 2),
    ...(systemMessage !== undefined && { systemMessage }),
  };
}
