import type { ModelSpec } from './internvl-config.js';

/** Names of one decoder layer's tensors: q/k/v apart (Qwen, InternLM3, any `-hf`) or packed (InternLM2). */
export interface LlmLayerNames {
  readonly inputNorm: string;
  readonly postNorm: string;
  readonly attention:
    | { readonly kind: 'split'; readonly q: string; readonly k: string; readonly v: string }
    | { readonly kind: 'wqkv'; readonly wqkv: string };
  /** Suffix-free names get `.weight` / `.bias` appended by the caller. */
  readonly qNorm: string;
  readonly kNorm: string;
  readonly o: string;
  readonly gate: string;
  readonly up: string;
  readonly down: string;
}

/**
 * The LLM's tensor names as the converter and graphs read them: the original InternVL layout's
 * (`language_model.model.*`). Every family but the original InternLM2 uses Llama-style names;
 * `-hf` checkpoints are read through {@link hfTensorSources}, which maps onto these.
 */
export function llmTensorNames(spec: ModelSpec) {
  const wqkv = spec.llm.family === 'internlm2' && spec.layout === 'internvl';
  const embed = wqkv
    ? 'language_model.model.tok_embeddings.weight'
    : 'language_model.model.embed_tokens.weight';
  return {
    embed,
    head: spec.llm.tiedEmbeddings
      ? embed
      : wqkv
        ? 'language_model.output.weight'
        : 'language_model.lm_head.weight',
    finalNorm: 'language_model.model.norm.weight',
    layer(i: number): LlmLayerNames {
      const p = `language_model.model.layers.${i}.`;
      return wqkv
        ? {
            inputNorm: `${p}attention_norm.weight`,
            postNorm: `${p}ffn_norm.weight`,
            attention: { kind: 'wqkv', wqkv: `${p}attention.wqkv` },
            qNorm: `${p}attention.q_norm.weight`,
            kNorm: `${p}attention.k_norm.weight`,
            o: `${p}attention.wo.weight`,
            gate: `${p}feed_forward.w1.weight`,
            up: `${p}feed_forward.w3.weight`,
            down: `${p}feed_forward.w2.weight`,
          }
        : {
            inputNorm: `${p}input_layernorm.weight`,
            postNorm: `${p}post_attention_layernorm.weight`,
            attention: {
              kind: 'split',
              q: `${p}self_attn.q_proj`,
              k: `${p}self_attn.k_proj`,
              v: `${p}self_attn.v_proj`,
            },
            qNorm: `${p}self_attn.q_norm.weight`,
            kNorm: `${p}self_attn.k_norm.weight`,
            o: `${p}self_attn.o_proj.weight`,
            gate: `${p}mlp.gate_proj.weight`,
            up: `${p}mlp.up_proj.weight`,
            down: `${p}mlp.down_proj.weight`,
          };
    },
  };
}

/** Every tensor an InternVL checkpoint must hold, with its shape, by the names the graphs read (internvl-spec §7.4). */
export function expectedTensors(spec: ModelSpec): Map<string, number[]> {
  const { vision: v, llm } = spec;
  const tensors = new Map<string, number[]>();
  const C = v.hidden;
  const grid = (v.imageSize / v.patchSize) ** 2;
  tensors.set('vision_model.embeddings.class_embedding', [1, 1, C]);
  tensors.set('vision_model.embeddings.patch_embedding.weight', [C, 3, v.patchSize, v.patchSize]);
  tensors.set('vision_model.embeddings.patch_embedding.bias', [C]);
  tensors.set('vision_model.embeddings.position_embedding', [1, grid + 1, C]);
  for (let i = 0; i < v.layers; i++) {
    const p = `vision_model.encoder.layers.${i}.`;
    tensors.set(`${p}attn.qkv.weight`, [3 * C, C]);
    if (v.qkvBias) tensors.set(`${p}attn.qkv.bias`, [3 * C]);
    if (v.qkNorm) {
      tensors.set(`${p}attn.q_norm.weight`, [C]);
      tensors.set(`${p}attn.k_norm.weight`, [C]);
    }
    tensors.set(`${p}attn.proj.weight`, [C, C]);
    tensors.set(`${p}attn.proj.bias`, [C]);
    tensors.set(`${p}mlp.fc1.weight`, [v.intermediate, C]);
    tensors.set(`${p}mlp.fc1.bias`, [v.intermediate]);
    tensors.set(`${p}mlp.fc2.weight`, [C, v.intermediate]);
    tensors.set(`${p}mlp.fc2.bias`, [C]);
    tensors.set(`${p}norm1.weight`, [C]);
    tensors.set(`${p}norm2.weight`, [C]);
    if (v.norm === 'layer_norm') {
      tensors.set(`${p}norm1.bias`, [C]);
      tensors.set(`${p}norm2.bias`, [C]);
    }
    tensors.set(`${p}ls1`, [C]);
    tensors.set(`${p}ls2`, [C]);
  }
  const shuffled = C / spec.downsampleRatio ** 2;
  const D = llm.hidden;
  tensors.set('mlp1.0.weight', [shuffled]);
  tensors.set('mlp1.0.bias', [shuffled]);
  tensors.set('mlp1.1.weight', [D, shuffled]);
  tensors.set('mlp1.1.bias', [D]);
  tensors.set('mlp1.3.weight', [D, D]);
  tensors.set('mlp1.3.bias', [D]);
  const { heads: H, kvHeads: KV, headDim: Dh, intermediate: I, vocabSize: V } = llm;
  const names = llmTensorNames(spec);
  tensors.set(names.embed, [V, D]);
  for (let i = 0; i < llm.layers; i++) {
    const n = names.layer(i);
    if (n.attention.kind === 'wqkv') {
      tensors.set(`${n.attention.wqkv}.weight`, [(H + 2 * KV) * Dh, D]);
      if (llm.attentionBias) tensors.set(`${n.attention.wqkv}.bias`, [(H + 2 * KV) * Dh]);
    } else {
      for (const [name, rows] of [
        [n.attention.q, H * Dh],
        [n.attention.k, KV * Dh],
        [n.attention.v, KV * Dh],
      ] as const) {
        tensors.set(`${name}.weight`, [rows, D]);
        if (llm.attentionBias) tensors.set(`${name}.bias`, [rows]);
      }
    }
    if (llm.qkNorm) {
      tensors.set(n.qNorm, [Dh]);
      tensors.set(n.kNorm, [Dh]);
    }
    tensors.set(n.o, [D, H * Dh]);
    tensors.set(n.gate, [I, D]);
    tensors.set(n.up, [I, D]);
    tensors.set(n.down, [D, I]);
    tensors.set(n.inputNorm, [D]);
    tensors.set(n.postNorm, [D]);
  }
  tensors.set(names.finalNorm, [D]);
  if (!llm.tiedEmbeddings) tensors.set(names.head, [V, D]);
  return tensors;
}

/** Where the `-hf` layout keeps its prefixes: transformers ≥ 4.52 nests them under `model.`. */
export interface HfPrefixes {
  readonly vision: string;
  readonly projector: string;
  readonly language: string;
  readonly head: string;
}

export const HF_PREFIXES: Record<'nested' | 'flat', HfPrefixes> = {
  nested: {
    vision: 'model.vision_tower.',
    projector: 'model.multi_modal_projector.',
    language: 'model.language_model.',
    head: 'lm_head.weight',
  },
  flat: {
    vision: 'vision_tower.',
    projector: 'multi_modal_projector.',
    language: 'language_model.model.',
    head: 'language_model.lm_head.weight',
  },
};

const HF_VISION_RENAMES: [RegExp, string][] = [
  [/^embeddings\.class_embedding$/, 'embeddings.cls_token'],
  [/^embeddings\.patch_embedding\./, 'embeddings.patch_embeddings.projection.'],
  [/^embeddings\.position_embedding$/, 'embeddings.position_embeddings'],
  [/^encoder\.layers\./, 'encoder.layer.'],
  [/\.attn\.proj\./, '.attention.projection_layer.'],
  [/\.attn\./, '.attention.'],
  [/\.norm1\./, '.layernorm_before.'],
  [/\.norm2\./, '.layernorm_after.'],
  [/\.ls(\d)$/, '.lambda_$1'],
];
const HF_PROJECTOR = { '0': 'layer_norm', '1': 'linear_1', '3': 'linear_2' } as Record<string, string>;

/**
 * The stored `-hf` tensors each tensor of {@link expectedTensors} is read from, in order (several
 * are concatenated along the first axis: the vision encoder's q, k and v make `attn.qkv`).
 */
export function hfTensorSources(spec: ModelSpec, prefixes: HfPrefixes): Map<string, string[]> {
  const sources = new Map<string, string[]>();
  for (const name of expectedTensors(spec).keys()) {
    if (name.startsWith('vision_model.')) {
      let rest = name.slice('vision_model.'.length);
      for (const [pattern, replacement] of HF_VISION_RENAMES) rest = rest.replace(pattern, replacement);
      const qkv = /\.attention\.qkv\.(weight|bias)$/.exec(rest);
      sources.set(
        name,
        qkv
          ? ['q_proj', 'k_proj', 'v_proj'].map(
              (part) => `${prefixes.vision}${rest.replace(/qkv\.(weight|bias)$/, `${part}.$1`)}`,
            )
          : [`${prefixes.vision}${rest}`],
      );
    } else if (name.startsWith('mlp1.')) {
      const [, index, suffix] = /^mlp1\.(\d)\.(weight|bias)$/.exec(name)!;
      sources.set(name, [`${prefixes.projector}${HF_PROJECTOR[index!]}.${suffix}`]);
    } else if (name === 'language_model.lm_head.weight') {
      sources.set(name, [prefixes.head]);
    } else {
      sources.set(name, [`${prefixes.language}${name.slice('language_model.model.'.length)}`]);
    }
  }
  return sources;
}
