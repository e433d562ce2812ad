import type { ModelSpec } from './internvl-config.js';

/** Every tensor an InternVL checkpoint must hold, with its shape (internvl-spec §7.4). */
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
  if (llm.family === 'qwen2') {
    tensors.set('language_model.model.embed_tokens.weight', [V, D]);
    for (let i = 0; i < llm.layers; i++) {
      const p = `language_model.model.layers.${i}.`;
      tensors.set(`${p}self_attn.q_proj.weight`, [H * Dh, D]);
      tensors.set(`${p}self_attn.q_proj.bias`, [H * Dh]);
      tensors.set(`${p}self_attn.k_proj.weight`, [KV * Dh, D]);
      tensors.set(`${p}self_attn.k_proj.bias`, [KV * Dh]);
      tensors.set(`${p}self_attn.v_proj.weight`, [KV * Dh, D]);
      tensors.set(`${p}self_attn.v_proj.bias`, [KV * Dh]);
      tensors.set(`${p}self_attn.o_proj.weight`, [D, H * Dh]);
      tensors.set(`${p}mlp.gate_proj.weight`, [I, D]);
      tensors.set(`${p}mlp.up_proj.weight`, [I, D]);
      tensors.set(`${p}mlp.down_proj.weight`, [D, I]);
      tensors.set(`${p}input_layernorm.weight`, [D]);
      tensors.set(`${p}post_attention_layernorm.weight`, [D]);
    }
    tensors.set('language_model.model.norm.weight', [D]);
    tensors.set('language_model.lm_head.weight', [V, D]);
  } else {
    tensors.set('language_model.model.tok_embeddings.weight', [V, D]);
    for (let i = 0; i < llm.layers; i++) {
      const p = `language_model.model.layers.${i}.`;
      tensors.set(`${p}attention.wqkv.weight`, [(H + 2 * KV) * Dh, D]);
      if (llm.attentionBias) tensors.set(`${p}attention.wqkv.bias`, [(H + 2 * KV) * Dh]);
      tensors.set(`${p}attention.wo.weight`, [D, H * Dh]);
      tensors.set(`${p}feed_forward.w1.weight`, [I, D]);
      tensors.set(`${p}feed_forward.w3.weight`, [I, D]);
      tensors.set(`${p}feed_forward.w2.weight`, [D, I]);
      tensors.set(`${p}attention_norm.weight`, [D]);
      tensors.set(`${p}ffn_norm.weight`, [D]);
    }
    tensors.set('language_model.model.norm.weight', [D]);
    tensors.set('language_model.output.weight', [V, D]);
  }
  return tensors;
}
