import { open, rename } from 'node:fs/promises';

/** A tensor to write: float32 values stored as the given dtype. */
export interface TensorToWrite {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: 'F32' | 'F16' | 'BF16';
  readonly data: Float32Array;
}

function encode(values: Float32Array, dtype: TensorToWrite['dtype']): Uint8Array {
  if (dtype === 'F32') return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const out = new Uint16Array(values.length);
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0; i < values.length; i++) {
    const x = bits[i]!;
    if (dtype === 'BF16') {
      // Round to nearest even on the 16 dropped bits, as torch's .bfloat16() does.
      out[i] = (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
    } else {
      out[i] = float32ToHalf(values[i]!);
    }
  }
  return new Uint8Array(out.buffer);
}

const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);
function float32ToHalf(value: number): number {
  scratch[0] = value;
  const bits = scratchBits[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = ((bits >>> 23) & 0xff) - 127 + 15;
  let mantissa = bits & 0x7fffff;
  if (exponent >= 0x1f) return sign | 0x7c00;
  if (exponent <= 0) {
    if (exponent < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - exponent;
    const half = mantissa >>> shift;
    const rest = mantissa & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    return sign | (half + (rest > halfway || (rest === halfway && half & 1) ? 1 : 0));
  }
  const half = (exponent << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  return sign | (half + (rest > 0x1000 || (rest === 0x1000 && half & 1) ? 1 : 0));
}

/**
 * Writes a safetensors file (temporary name, then rename). Tensors are written one by one, so a
 * caller may produce them lazily.
 */
export async function writeSafetensors(
  path: string,
  tensors: readonly Omit<TensorToWrite, 'data'>[],
  produce: (name: string) => Float32Array | Promise<Float32Array>,
  metadata: Record<string, string> = { format: 'pt' },
): Promise<void> {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const tensor of tensors) {
    const bytes = tensor.shape.reduce((a, b) => a * b, 1) * (tensor.dtype === 'F32' ? 4 : 2);
    header[tensor.name] = {
      dtype: tensor.dtype,
      shape: tensor.shape,
      data_offsets: [offset, offset + bytes],
    };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((json.length + 8) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const temporary = `${path}.tmp-${process.pid}`;
  const handle = await open(temporary, 'w');
  try {
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(headerBytes.length));
    await handle.write(length);
    await handle.write(headerBytes);
    for (const tensor of tensors) {
      const data = await produce(tensor.name);
      await handle.write(encode(data, tensor.dtype));
    }
  } finally {
    await handle.close();
  }
  await rename(temporary, path);
}
