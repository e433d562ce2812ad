import { open } from 'node:fs/promises';
import { CheckpointError, float16BitsToFloat32 } from '@ivl/core';

/** Element types we read from checkpoints. */
export type SafetensorsDtype = 'F32' | 'F16' | 'BF16';

const DTYPE_BYTES: Record<string, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

/** One tensor's entry in a safetensors header. */
export interface SafetensorsEntry {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly number[];
  /** Absolute byte offset of the data in the file. */
  readonly offset: number;
  readonly byteLength: number;
  readonly path: string;
}

/** An opened safetensors file: its validated header; tensors are read on demand. */
export interface SafetensorsFile {
  readonly path: string;
  readonly entries: ReadonlyMap<string, SafetensorsEntry>;
  readonly metadata: Readonly<Record<string, string>>;
}

function fail(path: string, message: string, tensor?: string, cause?: unknown): never {
  throw new CheckpointError({
    path,
    ...(tensor !== undefined && { tensor }),
    message: `${path}: ${message}`,
    ...(cause !== undefined && { cause }),
  });
}

/**
 * Reads and validates a safetensors header: length within the file, JSON, known dtypes, offsets
 * inside the data section, sizes matching shapes, no overlapping tensors.
 * @throws {CheckpointError} naming the file (and tensor) at fault
 */
export async function openSafetensors(path: string): Promise<SafetensorsFile> {
  const handle = await open(path, 'r').catch((error: unknown) =>
    fail(path, 'cannot be opened (missing file?).', undefined, error),
  );
  try {
    const { size } = await handle.stat();
    if (size < 8) fail(path, `is ${size} bytes, too short for a safetensors header (8-byte length first).`);
    const lengthBytes = Buffer.alloc(8);
    await handle.read(lengthBytes, 0, 8, 0);
    const headerLength = Number(lengthBytes.readBigUInt64LE(0));
    if (headerLength > size - 8 || headerLength > MAX_HEADER_BYTES) {
      fail(
        path,
        `header length ${headerLength} runs past the end of the ${size}-byte file (truncated or not safetensors).`,
      );
    }
    const headerBytes = Buffer.alloc(headerLength);
    await handle.read(headerBytes, 0, headerLength, 8);
    let header: Record<string, unknown>;
    try {
      header = JSON.parse(headerBytes.toString('utf8')) as Record<string, unknown>;
    } catch (error) {
      return fail(path, 'header is not valid JSON (not a safetensors file?).', undefined, error);
    }
    if (typeof header !== 'object' || header === null || Array.isArray(header))
      fail(path, 'header is not a JSON object.');
    const dataStart = 8 + headerLength;
    const dataSize = size - dataStart;
    const entries = new Map<string, SafetensorsEntry>();
    for (const [name, value] of Object.entries(header)) {
      if (name === '__metadata__') continue;
      const entry = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
      const { dtype, shape, data_offsets: offsets } = entry ?? {};
      if (typeof dtype !== 'string' || !(dtype in DTYPE_BYTES))
        fail(path, `tensor has unknown dtype ${JSON.stringify(dtype)}.`, name);
      if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0))
        fail(path, 'tensor has a malformed shape.', name);
      if (
        !Array.isArray(offsets) ||
        offsets.length !== 2 ||
        !offsets.every((o) => Number.isInteger(o) && o >= 0)
      ) {
        fail(path, 'tensor has malformed data_offsets.', name);
      }
      const [begin, end] = offsets as [number, number];
      if (end < begin || end > dataSize) {
        fail(
          path,
          `tensor data [${begin}, ${end}) lies outside the ${dataSize}-byte data section (truncated file?).`,
          name,
        );
      }
      const expected = (shape as number[]).reduce((a, b) => a * b, 1) * DTYPE_BYTES[dtype]!;
      if (end - begin !== expected) {
        fail(
          path,
          `tensor of shape [${(shape as number[]).join(', ')}] ${dtype} needs ${expected} bytes but its offsets span ${end - begin}.`,
          name,
        );
      }
      entries.set(name, {
        name,
        dtype,
        shape: shape as number[],
        offset: dataStart + begin,
        byteLength: end - begin,
        path,
      });
    }
    const sorted = [...entries.values()].sort((a, b) => a.offset - b.offset);
    for (let i = 1; i < sorted.length; i++) {
      const previous = sorted[i - 1]!;
      if (sorted[i]!.offset < previous.offset + previous.byteLength) {
        fail(path, `tensors ${previous.name} and ${sorted[i]!.name} overlap.`, sorted[i]!.name);
      }
    }
    const metadata = (header.__metadata__ ?? {}) as Record<string, string>;
    return { path, entries, metadata };
  } finally {
    await handle.close();
  }
}

// Every half value widened once, so reading F16 tensors is a table lookup.
const float16Table = Float32Array.from({ length: 65536 }, (_, bits) => float16BitsToFloat32(bits));

/**
 * Reads one tensor as float32 (F32 as is, F16 exactly, BF16 exactly by widening).
 * @throws {CheckpointError} for other dtypes or read failures
 */
export async function readTensorAsFloat32(entry: SafetensorsEntry): Promise<Float32Array> {
  const handle = await open(entry.path, 'r');
  try {
    const bytes = Buffer.alloc(entry.byteLength);
    const { bytesRead } = await handle.read(bytes, 0, entry.byteLength, entry.offset);
    if (bytesRead !== entry.byteLength)
      fail(entry.path, `could read only ${bytesRead} of ${entry.byteLength} bytes.`, entry.name);
    const count = entry.shape.reduce((a, b) => a * b, 1);
    switch (entry.dtype) {
      case 'F32':
        return new Float32Array(bytes.buffer, bytes.byteOffset, count).slice();
      case 'F16': {
        const out = new Float32Array(count);
        for (let i = 0; i < count; i++) out[i] = float16Table[bytes.readUInt16LE(i * 2)]!;
        return out;
      }
      case 'BF16': {
        const out = new Uint32Array(count);
        for (let i = 0; i < count; i++) out[i] = bytes.readUInt16LE(i * 2) << 16;
        return new Float32Array(out.buffer);
      }
      default:
        return fail(
          entry.path,
          `tensor dtype ${entry.dtype} is not a float type this converter reads (F32, F16, BF16).`,
          entry.name,
        );
    }
  } finally {
    await handle.close();
  }
}
