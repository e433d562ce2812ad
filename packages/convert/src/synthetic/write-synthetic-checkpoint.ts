import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseInternVLConfig } from '../checkpoint/internvl-config.js';
import { expectedTensors, HF_PREFIXES, hfTensorSources } from '../checkpoint/tensor-names.js';
import { splitWqkv } from '../graphs/split-wqkv.js';
import { writeSafetensors } from '../safetensors/write-safetensors.js';
import {
  encodeSentencePieceModel,
  sentencePieceFromTokenizerJson,
} from '../tokenizer/sentencepiece-model.js';
import {
  SYNTHETIC_PRESETS,
  type SyntheticPreset,
  type SyntheticPresetName,
  syntheticConfig,
  syntheticHfConfig,
} from './presets.js';

/** Options of {@link writeSyntheticCheckpoint}. */
export interface SyntheticCheckpointOptions {
  /** @default 0 */
  readonly seed?: number;
  /** Storage dtype of the weights. @default 'BF16' (as released) */
  readonly dtype?: 'F32' | 'F16' | 'BF16';
  /** Split the weights over this many shards with a `model.safetensors.index.json`. @default 1 */
  readonly shards?: number;
  /**
   * A `tokenizer.json` + `tokenizer_config.json` to ship. For Qwen2 checkpoints it is written the
   * way InternVL releases it (`vocab.json`, `merges.txt`, `added_tokens.json`,
   * `tokenizer_config.json`, no tokenizer.json); for InternLM2 as a SentencePiece `tokenizer.model`
   * (its pieces taken from the given SentencePiece-style BPE tokenizer.json) + `tokenizer_config.json`.
   */
  readonly tokenizer?: { readonly json: Record<string, unknown>; readonly config: Record<string, unknown> };
  /**
   * `internvl`: the original `InternVLChatModel` layout. `hf`: the same model (the same values) as
   * transformers' `InternVLForConditionalGeneration` saves it (`-hf`: renamed tensors under
   * `model.`, q/k/v split, InternLM as Llama, a `tokenizer.json`). @default 'internvl'
   */
  readonly layout?: 'internvl' | 'hf';
}

// A counter-based hash (SplitMix32 of seed ⊕ tensor ⊕ index): any tensor, any element, without state.
function hash(seed: number, stream: number, index: number): number {
  let z =
    (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) +
      Math.imul(stream, 0xc2b2ae35) +
      Math.imul(index, 0x27d4eb2f)) >>>
    0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return ((z ^ (z >>> 16)) >>> 0) / 4294967296;
}

function stringHash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** Seeded values with the statistics a trained model roughly has: norms near 1, small weights. */
function syntheticTensor(name: string, shape: readonly number[], seed: number): Float32Array {
  const count = shape.reduce((a, b) => a * b, 1);
  const stream = stringHash(name);
  const out = new Float32Array(count);
  const isNormWeight =
    /norm\d?\.weight$|layernorm\.weight$|attention_norm\.weight$|ffn_norm\.weight$|mlp1\.0\.weight$|q_norm\.weight$|k_norm\.weight$/.test(
      name,
    );
  const fanIn = shape.length >= 2 ? shape.slice(1).reduce((a, b) => a * b, 1) : 1;
  const scale = isNormWeight
    ? 0.2
    : /ls[12]$/.test(name)
      ? 0.5
      : /bias$/.test(name)
        ? 0.05
        : /embedding|embed_tokens|tok_embeddings/.test(name)
          ? 1
          : 1.7 / Math.sqrt(fanIn);
  for (let i = 0; i < count; i++) {
    const u = hash(seed, stream, i) * 2 - 1;
    out[i] = isNormWeight ? 1 + scale * u : scale * u;
  }
  return out;
}

async function writeTokenizer(
  directory: string,
  family: SyntheticPreset['family'],
  tokenizer: NonNullable<SyntheticCheckpointOptions['tokenizer']>,
  layout: 'internvl' | 'hf',
) {
  if (layout === 'hf') {
    // -hf checkpoints ship the fast tokenizer (InternLM as LlamaTokenizerFast).
    await writeFile(join(directory, 'tokenizer.json'), JSON.stringify(tokenizer.json));
    const sentencePiece = family === 'internlm2' || family === 'internlm3';
    await writeFile(
      join(directory, 'tokenizer_config.json'),
      JSON.stringify(
        { ...tokenizer.config, tokenizer_class: sentencePiece ? 'LlamaTokenizerFast' : 'Qwen2TokenizerFast' },
        null,
        2,
      ),
    );
    return;
  }
  if (family === 'internlm2' || family === 'internlm3') {
    // As InternLM2 checkpoints ship it: a SentencePiece BPE tokenizer.model (no dummy prefix) plus
    // the InternVL tokens in tokenizer_config.json's added_tokens_decoder.
    const json = tokenizer.json as {
      model: { vocab: Record<string, number> };
      added_tokens: { id: number; content: string; special: boolean }[];
    };
    await writeFile(
      join(directory, 'tokenizer.model'),
      encodeSentencePieceModel(sentencePieceFromTokenizerJson(json, { addDummyPrefix: false })),
    );
    const pieces = Object.keys(json.model.vocab).length;
    const decoder = Object.fromEntries(
      json.added_tokens
        .filter((t) => t.id >= pieces)
        .map((t) => [
          t.id,
          {
            content: t.content,
            lstrip: false,
            normalized: false,
            rstrip: false,
            single_word: false,
            special: t.special,
          },
        ]),
    );
    const config = {
      ...tokenizer.config,
      tokenizer_class: family === 'internlm2' ? 'InternLM2Tokenizer' : 'InternLM3Tokenizer',
      add_bos_token: true,
      add_eos_token: false,
      added_tokens_decoder: decoder,
    };
    await writeFile(join(directory, 'tokenizer_config.json'), JSON.stringify(config, null, 2));
    return;
  }
  const { model, added_tokens: added } = tokenizer.json as {
    model: { vocab: Record<string, number>; merges: (string | [string, string])[] };
    added_tokens: { id: number; content: string }[];
  };
  await writeFile(join(directory, 'vocab.json'), JSON.stringify(model.vocab));
  const merges = model.merges.map((merge) => (typeof merge === 'string' ? merge : merge.join(' ')));
  await writeFile(join(directory, 'merges.txt'), `#version: 0.2\n${merges.join('\n')}\n`);
  await writeFile(
    join(directory, 'added_tokens.json'),
    JSON.stringify(Object.fromEntries(added.map((t) => [t.content, t.id])), null, 2),
  );
  await writeFile(
    join(directory, 'special_tokens_map.json'),
    JSON.stringify({ eos_token: '<|im_end|>', pad_token: '<|endoftext|>' }, null, 2),
  );
  await writeFile(
    join(directory, 'tokenizer_config.json'),
    JSON.stringify({ ...tokenizer.config, tokenizer_class: 'Qwen2Tokenizer' }, null, 2),
  );
}

/**
 * Writes a synthetic InternVL checkpoint in the real Hugging Face layout: real config keys, real
 * tensor names and shapes, seeded values, safetensors (optionally sharded, in BF16/F16/F32),
 * generation config and tokenizer files. Written to a temporary directory, then renamed.
 *
 * @example
 * ```ts
 * await writeSyntheticCheckpoint('/tmp/tiny', 'tiny-qwen2', { seed: 1, tokenizer });
 * ```
 */
export async function writeSyntheticCheckpoint(
  directory: string,
  preset: SyntheticPresetName | SyntheticPreset,
  options: SyntheticCheckpointOptions = {},
): Promise<void> {
  const { seed = 0, dtype = 'BF16', shards = 1, layout = 'internvl' } = options;
  const sizes = typeof preset === 'string' ? SYNTHETIC_PRESETS[preset] : preset;
  const original = syntheticConfig(sizes);
  const spec = parseInternVLConfig(original);
  const shapes = expectedTensors(spec);
  // The values are seeded by the original names, so both layouts hold the same model.
  const produceOriginal = (name: string) => syntheticTensor(name, shapes.get(name)!, seed);
  let config = original;
  let tensors = [...shapes];
  let produce = produceOriginal;
  if (layout === 'hf') {
    const sentencePiece = sizes.family === 'internlm2' || sizes.family === 'internlm3';
    const added = (options.tokenizer?.json.added_tokens ?? []) as { content: string; id: number }[];
    const imageTokenId =
      added.find((t) => t.content === '<IMG_CONTEXT>')?.id ?? (sentencePiece ? 92546 : 151667);
    config = syntheticHfConfig(sizes, imageTokenId);
    const hfSpec = parseInternVLConfig(config);
    const stored: [string, number[]][] = [];
    const from = new Map<string, { original: string; part: number; parts: number }>();
    const hfShapes = expectedTensors(hfSpec);
    const value = (name: string) => (shapes.has(name) ? produceOriginal(name) : internlm2Value(name));
    // InternLM2 has other names and a packed wqkv in its original layout; transformers renames
    // them to Llama's and splits wqkv by its grouped rows (what splitWqkv undoes too).
    const internlm2Value = (name: string): Float32Array => {
      const qkv = /^(.*)\.self_attn\.([qkv])_proj\.weight$/.exec(name);
      if (qkv) {
        const { heads, kvHeads, headDim, hidden } = spec.llm;
        const split = splitWqkv(produceOriginal(`${qkv[1]}.attention.wqkv.weight`), {
          heads,
          kvHeads,
          headDim,
          inFeatures: hidden,
        });
        return split[qkv[2] as 'q' | 'k' | 'v'];
      }
      const renamed = name
        .replace('embed_tokens', 'tok_embeddings')
        .replace('language_model.lm_head', 'language_model.output')
        .replace('input_layernorm', 'attention_norm')
        .replace('post_attention_layernorm', 'ffn_norm')
        .replace('self_attn.o_proj', 'attention.wo')
        .replace('mlp.gate_proj', 'feed_forward.w1')
        .replace('mlp.up_proj', 'feed_forward.w3')
        .replace('mlp.down_proj', 'feed_forward.w2');
      return produceOriginal(renamed);
    };
    for (const [name, parts] of hfTensorSources(hfSpec, HF_PREFIXES.nested)) {
      const shape = hfShapes.get(name)!;
      parts.forEach((part, index) => {
        stored.push([part, [shape[0]! / parts.length, ...shape.slice(1)]]);
        from.set(part, { original: name, part: index, parts: parts.length });
      });
    }
    tensors = stored;
    produce = (name) => {
      const { original: source, part, parts } = from.get(name)!;
      const values = value(source);
      const rows = values.length / parts;
      return values.slice(part * rows, (part + 1) * rows);
    };
  }
  const temporary = `${directory}.tmp-${process.pid}-${Date.now()}`;
  await mkdir(temporary, { recursive: true });
  try {
    await writeFile(join(temporary, 'config.json'), JSON.stringify(config, null, 2));
    const qwen = sizes.family === 'qwen2' || sizes.family === 'qwen3';
    const eos = qwen ? [151644, 151645, 151643] : [92542, 92543];
    await writeFile(
      join(temporary, 'generation_config.json'),
      JSON.stringify(
        { _from_model_config: true, eos_token_id: eos, transformers_version: '4.37.2' },
        null,
        2,
      ),
    );
    const per = Math.ceil(tensors.length / shards);
    const weightMap: Record<string, string> = {};
    for (let shard = 0; shard < shards; shard++) {
      const part = tensors.slice(shard * per, (shard + 1) * per);
      const file =
        shards === 1
          ? 'model.safetensors'
          : `model-${String(shard + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`;
      for (const [name] of part) weightMap[name] = file;
      await writeSafetensors(
        join(temporary, file),
        part.map(([name, shape]) => ({ name, shape, dtype })),
        produce,
      );
    }
    if (shards > 1) {
      await writeFile(
        join(temporary, 'model.safetensors.index.json'),
        JSON.stringify({ metadata: {}, weight_map: weightMap }, null, 2),
      );
    }
    if (options.tokenizer) await writeTokenizer(temporary, sizes.family, options.tokenizer, layout);
    await rm(directory, { recursive: true, force: true });
    await rename(temporary, directory);
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    throw error;
  }
}
