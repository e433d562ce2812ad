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
  return {
    config,
    weights: (name) => {
      const tensor = tensors.get(name);
      if (!tensor) throw new Error(`reference: no tensor ${name}`);
      return tensor;
    },
  };
}

function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 31) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}
