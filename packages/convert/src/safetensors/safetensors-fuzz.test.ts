import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IvlError } from '@ivl/core';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { openSafetensors, readTensorAsFloat32 } from './safetensors-file.js';

// Checkpoints are untrusted input: whatever the bytes, opening (and reading) a safetensors file
// gives a valid result or a typed CheckpointError, never another exception, a hang or a crash.
const root = mkdtempSync(join(tmpdir(), 'ivl-safetensors-fuzz-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;

async function openAndRead(bytes: Uint8Array): Promise<void> {
  const path = join(root, `f${counter++}.safetensors`);
  writeFileSync(path, bytes);
  try {
    const file = await openSafetensors(path);
    for (const entry of file.entries.values()) await readTensorAsFloat32(entry);
  } catch (error) {
    expect(IvlError.isInstance(error), `${String(error)}\n${(error as Error)?.stack}`).toBe(true);
  } finally {
    rmSync(path, { force: true });
  }
}

const withHeader = (header: string, data: Uint8Array, lengthDelta = 0) => {
  const json = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(Math.max(0, json.length + lengthDelta)), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
};

const dtype = fc.constantFrom('F32', 'F16', 'BF16', 'I64', 'U8', 'F64', 'BOOL', 'X9', '');
const entry = fc.record({
  dtype,
  shape: fc.array(fc.oneof(fc.integer({ min: -2, max: 9 }), fc.constant(2 ** 40), fc.double()), {
    maxLength: 4,
  }),
  data_offsets: fc.oneof(
    fc.tuple(fc.integer({ min: -4, max: 80 }), fc.integer({ min: -4, max: 80 })),
    fc.array(fc.anything(), { maxLength: 3 }),
  ),
});

describe('openSafetensors under fuzzing', () => {
  it('should give a result or a typed error for random bytes', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 256 }), openAndRead), { numRuns: 150 });
  });

  it('should give a result or a typed error for random headers over random data', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(entry, fc.anything())),
        fc.uint8Array({ maxLength: 96 }),
        fc.integer({ min: -3, max: 3 }),
        async (header, data, lengthDelta) =>
          openAndRead(withHeader(JSON.stringify(header), data, lengthDelta)),
      ),
      { numRuns: 300 },
    );
  });

  it('should give a result or a typed error for mutations of a valid file', async () => {
    const valid = withHeader(
      JSON.stringify({
        __metadata__: { format: 'pt' },
        w: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] },
        b: { dtype: 'BF16', shape: [4], data_offsets: [24, 32] },
      }),
      new Uint8Array(32).fill(63),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 0, max: 255 })), {
          maxLength: 6,
        }),
        fc.nat({ max: valid.length }),
        async (flips, cut) => {
          const bytes = valid.slice(0, Math.max(cut, 1));
          for (const [at, value] of flips) if (at < bytes.length) bytes[at] = value;
          await openAndRead(bytes);
        },
      ),
      { numRuns: 300 },
    );
  });
});
