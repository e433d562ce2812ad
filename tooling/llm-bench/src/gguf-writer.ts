import { open, rename, rm } from 'node:fs/promises';

/** GGUF metadata value types (gguf.h numbering). */
const T = { UINT32: 4, INT32: 5, FLOAT32: 6, BOOL: 7, STRING: 8, ARRAY: 9, UINT64: 10 } as const;

/** One metadata value: numbers say their type, as GGUF needs. */
export type GgufValue =
  | { readonly u32: number }
  | { readonly i32: number }
  | { readonly f32: number }
  | { readonly bool: boolean }
  | string
  | { readonly strings: readonly string[] }
  | { readonly i32s: ArrayLike<number> };

/** One tensor to write: dims innermost first (GGUF's ne[0] is the row width), bytes as stored. */
export interface GgufTensor {
  readonly name: string;
  readonly dims: readonly number[];
  readonly type: number;
  readonly byteLength: number;
  /** The tensor's bytes, produced when the writer reaches it (tensors are never all in memory). */
  readonly bytes: () => Promise<Uint8Array>;
}

const ALIGNMENT = 32;
const encoder = new TextEncoder();

/** A growable little-endian byte buffer for the header. */
class HeaderBytes {
  private chunks: Uint8Array[] = [];
  length = 0;
  private push(bytes: Uint8Array) {
    this.chunks.push(bytes);
    this.length += bytes.length;
  }
  private scalar(size: number, write: (view: DataView) => void) {
    const bytes = new Uint8Array(size);
    write(new DataView(bytes.buffer));
    this.push(bytes);
  }
  u32 = (v: number) => this.scalar(4, (d) => d.setUint32(0, v, true));
  i32 = (v: number) => this.scalar(4, (d) => d.setInt32(0, v, true));
  f32 = (v: number) => this.scalar(4, (d) => d.setFloat32(0, v, true));
  u64 = (v: number) => this.scalar(8, (d) => d.setBigUint64(0, BigInt(v), true));
  u8 = (v: number) => this.push(Uint8Array.of(v));
  string(value: string) {
    const bytes = encoder.encode(value);
    this.u64(bytes.length);
    this.push(bytes);
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }
}

function writeValue(h: HeaderBytes, value: GgufValue): void {
  if (typeof value === 'string') {
    h.u32(T.STRING);
    h.string(value);
  } else if ('u32' in value) {
    h.u32(T.UINT32);
    h.u32(value.u32);
  } else if ('i32' in value) {
    h.u32(T.INT32);
    h.i32(value.i32);
  } else if ('f32' in value) {
    h.u32(T.FLOAT32);
    h.f32(value.f32);
  } else if ('bool' in value) {
    h.u32(T.BOOL);
    h.u8(value.bool ? 1 : 0);
  } else if ('strings' in value) {
    h.u32(T.ARRAY);
    h.u32(T.STRING);
    h.u64(value.strings.length);
    for (const s of value.strings) h.string(s);
  } else {
    h.u32(T.ARRAY);
    h.u32(T.INT32);
    h.u64(value.i32s.length);
    for (let i = 0; i < value.i32s.length; i++) h.i32(value.i32s[i]!);
  }
}

const align = (n: number) => Math.ceil(n / ALIGNMENT) * ALIGNMENT;

/**
 * Writes a GGUF v3 file: header, metadata, tensor infos, then each tensor's bytes at a 32-byte
 * aligned offset. Written to a temporary name and renamed, so a killed run leaves no file that
 * looks complete.
 */
export async function writeGguf(
  path: string,
  metadata: Readonly<Record<string, GgufValue>>,
  tensors: readonly GgufTensor[],
): Promise<void> {
  const h = new HeaderBytes();
  h.u32(0x46554747); // "GGUF"
  h.u32(3);
  h.u64(tensors.length);
  h.u64(Object.keys(metadata).length + 1);
  h.string('general.alignment');
  writeValue(h, { u32: ALIGNMENT });
  for (const [key, value] of Object.entries(metadata)) {
    h.string(key);
    writeValue(h, value);
  }
  let offset = 0;
  const offsets: number[] = [];
  for (const tensor of tensors) {
    h.string(tensor.name);
    h.u32(tensor.dims.length);
    for (const dim of tensor.dims) h.u64(dim);
    h.u32(tensor.type);
    h.u64(offset);
    offsets.push(offset);
    offset = align(offset + tensor.byteLength);
  }
  const header = h.bytes();
  const dataStart = align(header.length);
  const temporary = `${path}.partial`;
  const file = await open(temporary, 'w');
  try {
    await file.write(header, 0, header.length, 0);
    for (const [index, tensor] of tensors.entries()) {
      const bytes = await tensor.bytes();
      if (bytes.length !== tensor.byteLength) {
        throw new RangeError(`${tensor.name}: ${bytes.length} bytes, its info says ${tensor.byteLength}.`);
      }
      await file.write(bytes, 0, bytes.length, dataStart + offsets[index]!);
    }
    await file.truncate(dataStart + offset);
  } catch (error) {
    await file.close();
    await rm(temporary, { force: true });
    throw error;
  }
  await file.close();
  await rename(temporary, path);
}
