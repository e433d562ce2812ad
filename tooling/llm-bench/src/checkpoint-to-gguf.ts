import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openCheckpoint } from '@ivl/convert';
import { GGML_TYPE, type GgmlType, quantizeQ4_0, quantizeQ8_0, rowBytes } from './ggml-quantize.js';
import { type GgufTensor, type GgufValue, writeGguf } from './gguf-writer.js';

/** Weight types of the GGUF, named as our dtypes: fp32 → F32, q8 → Q8_0, q4 → Q4_0. */
export type GgufDtype = 'fp32' | 'q8' | 'q4';

/** The GGML type of the weight matrices a file of each dtype holds. */
export const MATRIX_TYPE: Record<GgufDtype, GgmlType> = { fp32: 'F32', q8: 'Q8_0', q4: 'Q4_0' };
/** general.file_type (llama_ftype): ALL_F32, MOSTLY_Q8_0, MOSTLY_Q4_0. */
const FILE_TYPE: Record<GgufDtype, number> = { fp32: 0, q8: 7, q4: 2 };

function encode(type: GgmlType, values: Float32Array): Uint8Array {
  if (type === 'F32') return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  return type === 'Q8_0' ? quantizeQ8_0(values) : quantizeQ4_0(values);
}

/** The vocabulary in id order, padded to the embedding's rows as llama.cpp's converter pads it. */
async function vocabulary(directory: string, vocabSize: number) {
  const vocab = JSON.parse(await readFile(join(directory, 'vocab.json'), 'utf8')) as Record<string, number>;
  const added = JSON.parse(await readFile(join(directory, 'added_tokens.json'), 'utf8')) as Record<
    string,
    number
  >;
  const tokens = Array.from({ length: vocabSize }, (_, id) => `[PAD${id}]`);
  // llama_token_type: 1 normal, 3 control, 5 unused.
  const types = new Int32Array(vocabSize).fill(5);
  for (const [token, id] of Object.entries(vocab)) if (id < vocabSize) [tokens[id], types[id]] = [token, 1];
  for (const [token, id] of Object.entries(added)) if (id < vocabSize) [tokens[id], types[id]] = [token, 3];
  const merges = (await readFile(join(directory, 'merges.txt'), 'utf8'))
    .split('\n')
    .filter((line) => line && !line.startsWith('#version'));
  return { tokens, types, merges, imEnd: added['<|im_end|>'], endOfText: added['<|endoftext|>'] };
}

/**
 * Writes the language model of an InternVL checkpoint with a Qwen2 or Qwen3 backbone as a
 * llama.cpp `qwen2` / `qwen3` GGUF: the same weights our converter reads, so both runtimes run one
 * model. Matrices in `dtype`; the output head at 8 bits for q4 (as our q4 keeps it; a tied head is
 * the embedding table, so that goes at 8 bits then); norms and biases F32.
 *
 * @throws {RangeError} for an InternLM backbone (llama.cpp's `internlm2` / `llama` layouts are not written)
 */
export async function writeLlmGguf(
  checkpointDirectory: string,
  path: string,
  dtype: GgufDtype,
): Promise<void> {
  const checkpoint = await openCheckpoint(checkpointDirectory);
  const { llm } = checkpoint.spec;
  if (llm.family !== 'qwen2' && llm.family !== 'qwen3') {
    throw new RangeError(
      `Only Qwen2 and Qwen3 backbones are written as GGUF; this checkpoint's is ${llm.family}.`,
    );
  }
  const arch = llm.family;
  const { tokens, types, merges, imEnd, endOfText } = await vocabulary(checkpointDirectory, llm.vocabSize);
  const metadata: Record<string, GgufValue> = {
    'general.architecture': arch,
    'general.name': 'ivl synthetic InternVL LLM',
    'general.file_type': { u32: FILE_TYPE[dtype] },
    [`${arch}.context_length`]: { u32: llm.maxPositionEmbeddings },
    [`${arch}.embedding_length`]: { u32: llm.hidden },
    [`${arch}.block_count`]: { u32: llm.layers },
    [`${arch}.feed_forward_length`]: { u32: llm.intermediate },
    [`${arch}.attention.head_count`]: { u32: llm.heads },
    [`${arch}.attention.head_count_kv`]: { u32: llm.kvHeads },
    // Qwen3's head size (128) is not hidden / heads.
    [`${arch}.attention.key_length`]: { u32: llm.headDim },
    [`${arch}.attention.value_length`]: { u32: llm.headDim },
    [`${arch}.rope.freq_base`]: { f32: llm.ropeTheta },
    [`${arch}.attention.layer_norm_rms_epsilon`]: { f32: llm.rmsEps },
    'tokenizer.ggml.model': 'gpt2',
    'tokenizer.ggml.pre': 'qwen2',
    'tokenizer.ggml.tokens': { strings: tokens },
    'tokenizer.ggml.token_type': { i32s: types },
    'tokenizer.ggml.merges': { strings: merges },
    ...(imEnd !== undefined && { 'tokenizer.ggml.eos_token_id': { u32: imEnd } }),
    ...(endOfText !== undefined && { 'tokenizer.ggml.padding_token_id': { u32: endOfText } }),
    'tokenizer.ggml.add_bos_token': { bool: false },
  };
  const tensors: GgufTensor[] = [];
  const add = (name: string, source: string, shape: readonly number[], type: GgmlType) => {
    const width = shape.at(-1)!;
    const rows = shape.length === 1 ? 1 : shape[0]!;
    tensors.push({
      name,
      // GGUF lists the row width first.
      dims: [...shape].reverse(),
      type: GGML_TYPE[type],
      byteLength: rows * rowBytes(type, width),
      bytes: async () => encode(type, await checkpoint.read(source)),
    });
  };
  const matrix = MATRIX_TYPE[dtype];
  const { hidden: D, heads: H, kvHeads: KV, headDim: Dh, intermediate: I, vocabSize: V } = llm;
  const head = dtype === 'q4' ? 'Q8_0' : matrix;
  add(
    'token_embd.weight',
    'language_model.model.embed_tokens.weight',
    [V, D],
    llm.tiedEmbeddings ? head : matrix,
  );
  for (let layer = 0; layer < llm.layers; layer++) {
    const p = `language_model.model.layers.${layer}.`;
    const b = `blk.${layer}.`;
    add(`${b}attn_norm.weight`, `${p}input_layernorm.weight`, [D], 'F32');
    for (const [x, rows] of [
      ['q', H * Dh],
      ['k', KV * Dh],
      ['v', KV * Dh],
    ] as const) {
      add(`${b}attn_${x}.weight`, `${p}self_attn.${x}_proj.weight`, [rows, D], matrix);
      if (llm.attentionBias) add(`${b}attn_${x}.bias`, `${p}self_attn.${x}_proj.bias`, [rows], 'F32');
    }
    if (llm.qkNorm) {
      add(`${b}attn_q_norm.weight`, `${p}self_attn.q_norm.weight`, [Dh], 'F32');
      add(`${b}attn_k_norm.weight`, `${p}self_attn.k_norm.weight`, [Dh], 'F32');
    }
    add(`${b}attn_output.weight`, `${p}self_attn.o_proj.weight`, [D, H * Dh], matrix);
    add(`${b}ffn_norm.weight`, `${p}post_attention_layernorm.weight`, [D], 'F32');
    add(`${b}ffn_gate.weight`, `${p}mlp.gate_proj.weight`, [I, D], matrix);
    add(`${b}ffn_up.weight`, `${p}mlp.up_proj.weight`, [I, D], matrix);
    add(`${b}ffn_down.weight`, `${p}mlp.down_proj.weight`, [D, I], matrix);
  }
  add('output_norm.weight', 'language_model.model.norm.weight', [D], 'F32');
  // A tied head is token_embd itself (llama.cpp reads it when output.weight is absent).
  if (!llm.tiedEmbeddings) add('output.weight', 'language_model.lm_head.weight', [V, D], head);
  await writeGguf(path, metadata, tensors);
}
