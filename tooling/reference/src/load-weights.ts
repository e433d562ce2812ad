import { readFileSync } from 'node:fs';
import { join } from 'node:path';

type Loaded = { config: Record<string, any>; weights: (name: string) => Float32Array };
const cache = new Map<string, Loaded>();

/**
 * Loads every tensor of a checkpoint directory into memory as float32 (for tiny models only),
 * cached per directory. Its own small safetensors reader, so parity tests do not trust the converter's.
 */
export function loadCheckpointWeights(directory: string): Loaded {
  const cached = cache.get(directory);
  if (cached) return cached;
  const loaded = load(directory);
  cache.set(directory, loaded);
  return loaded;
}

function load(directory: string): Loaded {
  const config = JSON.parse(readFileSync(join(directory, 'config.json'), 'utf8'));
  let files = ['model.safetensors'];
  try {
    files = [
      ...new Set(
        Object.values(
          JSON.parse(readFileSync(join(directory, 'model.safetensors.index.json'), 'utf8'))
            .weight_map as Record<string, string>,
        ),
      ),
    ];
  } catch {}
  const tensors = new Map<string, Float32Array>();
  for (const file of files) {
    const bytes = readFileSync(join(directory, file));
    const headerLength = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8'));
    for (const [name, info] of Object.entries<any>(header)) {
      if (name === '__metadata__') continue;
      const [begin, end] = info.data_offsets;
      const view = new DataView(bytes.buffer, bytes.byteOffset + 8 + headerLength + begin, end - begin);
      const count = (end - begin) / (info.dtype === 'F32' ? 4 : 2);
      let out: Float32Array;
      if (info.dtype === 'F32') {
        out = new Float32Array(count);
        for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
      } else if (info.dtype === 'BF16') {
        const bits = new Uint32Array(count);
        for (let i = 0; i < count; i++) bits[i] = view.getUint16(i * 2, true) << 16;
        out = new Float32Array(bits.buffer);
      } else {
        out = new Float32Array(count);
        for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
      }
      tensors.set(name, out);
    }
  }
  const hf = config.text_config !== undefined;
  const nested = [...tensors.keys()].some((name) => name.startsWith('model.'));
  const found = (name: string) => {
    const tensor = tensors.get(name);
    if (!tensor) throw new Error(`reference: no tensor ${name}`);
    return tensor;
  };
  const derived = new Map<string, Float32Array>();
  return {
    config,
    // Tensors by their original InternVL names; a `-hf` checkpoint's are found under transformers' names.
    weights: (name) => {
      if (!hf) return found(name);
      let tensor = derived.get(name);
      if (!tensor) {
        const stored = hfNames(name, nested);
        const parts = stored.map(found);
        tensor = new Float32Array(parts.reduce((n, part) => n + part.length, 0));
        let offset = 0;
        for (const part of parts) {
          tensor.set(part, offset);
          offset += part.length;
        }
        derived.set(name, tensor);
      }
      return tensor;
    },
  };
}

/** transformers' names for an original-layout tensor (convert_internvl_weights_to_hf.py); q/k/v for the vision qkv. */
function hfNames(name: string, nested: boolean): string[] {
  const vision = nested ? 'model.vision_tower.' : 'vision_tower.';
  const lm = nested ? 'model.language_model.' : 'language_model.model.';
  if (name === 'language_model.lm_head.weight')
    return [nested ? 'lm_head.weight' : 'language_model.lm_head.weight'];
  if (name.startsWith('language_model.model.')) return [lm + name.slice('language_model.model.'.length)];
  const projector = /^mlp1\.(\d)\.(\w+)$/.exec(name);
  if (projector) {
    const part = ({ '0': 'layer_norm', '1': 'linear_1', '3': 'linear_2' } as Record<string, string>)[
      projector[1]!
    ];
    return [`${nested ? 'model.' : ''}multi_modal_projector.${part}.${projector[2]}`];
  }
  const embeddings: Record<string, string> = {
    'vision_model.embeddings.class_embedding': 'embeddings.cls_token',
    'vision_model.embeddings.position_embedding': 'embeddings.position_embeddings',
    'vision_model.embeddings.patch_embedding.weight': 'embeddings.patch_embeddings.projection.weight',
    'vision_model.embeddings.patch_embedding.bias': 'embeddings.patch_embeddings.projection.bias',
  };
  if (embeddings[name]) return [vision + embeddings[name]];
  const layer = /^vision_model\.encoder\.layers\.(\d+)\.(.+)$/.exec(name);
  if (!layer) throw new Error(`reference: no -hf name for ${name}`);
  const p = `${vision}encoder.layer.${layer[1]}.`;
  const rest = layer[2]!;
  const qkv = /^attn\.qkv\.(\w+)$/.exec(rest);
  if (qkv) return ['q', 'k', 'v'].map((x) => `${p}attention.${x}_proj.${qkv[1]}`);
  const renamed: Record<string, string> = {
    'attn.proj.weight': 'attention.projection_layer.weight',
    'attn.proj.bias': 'attention.projection_layer.bias',
    'attn.q_norm.weight': 'attention.q_norm.weight',
    'attn.k_norm.weight': 'attention.k_norm.weight',
    ls1: 'lambda_1',
    ls2: 'lambda_2',
    'norm1.weight': 'layernorm_before.weight',
    'norm1.bias': 'layernorm_before.bias',
    'norm2.weight': 'layernorm_after.weight',
    'norm2.bias': 'layernorm_after.bias',
  };
  return [p + (renamed[rest] ?? rest)];
}

function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 31) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}
