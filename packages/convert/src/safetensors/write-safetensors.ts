import { open, rename } from 'node:fs/promises';
import { float32ToFloat16Bits } from '@ivl/core';

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
      out[i] = float32ToFloat16Bits(values[i]!);
    }
  }
  return new Uint8Array(out.buffer);
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
