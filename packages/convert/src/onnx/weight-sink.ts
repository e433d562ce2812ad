import { createHash, type Hash } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** Where a weight was written. */
export interface StoredWeight {
  readonly location: string;
  readonly offset: number;
  readonly length: number;
}

/** Receives weights as they are converted and writes them to external-data files. */
export interface WeightSink {
  /** Float weights (stored as float32 or float16), or raw bytes (quantized codes). */
  append(data: Float32Array | Uint8Array, type: 'float32' | 'float16' | 'raw'): StoredWeight;
  /** Bytes written so far, over all files. */
  readonly bytesWritten: number;
  readonly files: readonly string[];
  /** Closes the current file. */
  close(): void;
  /** Each file's name, size and SHA-256, hashed as it was written (after `close`). */
  digests(): { readonly name: string; readonly bytes: number; readonly sha256: string }[];
}

/** Browsers cannot fetch or hold single files of 2 GiB or more. */
export const MAX_DATA_FILE_BYTES = 2 ** 31 - 4096;

/**
 * Writes weights to `<baseName>.onnx_data`, starting `<baseName>.onnx_data_1`, `_2`, … when a file
 * would pass {@link MAX_DATA_FILE_BYTES}. Each weight is written synchronously and not kept.
 */
export function createWeightSink(
  directory: string,
  baseName: string,
  toHalf: (values: Float32Array) => Uint16Array,
): WeightSink {
  const files: string[] = [];
  const hashes: { hash: Hash; bytes: number }[] = [];
  let fd = -1;
  let offset = 0;
  let total = 0;
  const openNext = () => {
    if (fd !== -1) closeSync(fd);
    const name = `${baseName}.onnx_data${files.length === 0 ? '' : `_${files.length}`}`;
    files.push(name);
    hashes.push({ hash: createHash('sha256'), bytes: 0 });
    fd = openSync(join(directory, name), 'w');
    offset = 0;
  };
  return {
    get bytesWritten() {
      return total;
    },
    files,
    append(data, type) {
      const bytes =
        type === 'float16'
          ? new Uint8Array(toHalf(data as Float32Array).buffer)
          : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      if (fd === -1 || offset + bytes.length > MAX_DATA_FILE_BYTES) openNext();
      const padding = (64 - (offset % 64)) % 64;
      const digest = hashes.at(-1)!;
      if (padding) {
        writeSync(fd, new Uint8Array(padding));
        digest.hash.update(new Uint8Array(padding));
      }
      offset += padding;
      let written = 0;
      while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
      digest.hash.update(bytes);
      digest.bytes += padding + bytes.length;
      const stored = { location: files.at(-1)!, offset, length: bytes.length };
      offset += bytes.length;
      total += bytes.length + padding;
      return stored;
    },
    close() {
      if (fd !== -1) closeSync(fd);
      fd = -1;
    },
    digests() {
      return hashes.map(({ hash, bytes }, index) => ({
        name: files[index]!,
        bytes,
        sha256: hash.copy().digest('hex'),
      }));
    },
  };
}
