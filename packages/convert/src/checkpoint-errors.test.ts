import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointError } from '@ivl/core';
import { internvlQwen2Tokenizer } from '@ivl/synthetic-tokenizers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCheckpoint } from './checkpoint/read-checkpoint.js';
import { convertCheckpoint } from './convert-checkpoint.js';
import { openSafetensors } from './safetensors/safetensors-file.js';
import { writeSafetensors } from './safetensors/write-safetensors.js';
import { writeSyntheticCheckpoint } from './synthetic/write-synthetic-checkpoint.js';

const root = mkdtempSync(join(tmpdir(), 'ivl-convert-errors-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function errorOf(promise: Promise<unknown>): Promise<CheckpointError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(CheckpointError.isInstance(error)).toBe(true);
  return error as CheckpointError;
}

/** A safetensors file with a hand-made header, to corrupt at will. */
function rawSafetensors(
  path: string,
  header: unknown,
  dataBytes: number,
  headerLengthOverride?: number,
): string {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(headerLengthOverride ?? json.length));
  writeFileSync(path, Buffer.concat([length, json, Buffer.alloc(dataBytes)]));
  return path;
}

describe('openSafetensors', () => {
  it.each([
    [
      'a header length past the end',
      { a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } },
      4,
      1_000_000,
      /header length 1000000 runs past the end/,
    ],
    ['a non-JSON header', '{not json', 0, undefined, /header is not valid JSON/],
    [
      'offsets past the data',
      { w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } },
      8,
      undefined,
      /tensor data \[0, 16\) lies outside the 8-byte data section/,
    ],
    [
      'a size that does not match the shape',
      { w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } },
      8,
      undefined,
      /needs 12 bytes but its offsets span 8/,
    ],
    [
      'overlapping tensors',
      {
        a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
        b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
      },
      12,
      undefined,
      /tensors a and b overlap/,
    ],
    [
      'an unknown dtype',
      { w: { dtype: 'Q7', shape: [1], data_offsets: [0, 1] } },
      1,
      undefined,
      /unknown dtype "Q7"/,
    ],
  ])(
    'should refuse %s with a typed error naming the file',
    async (name, header, bytes, override, message) => {
      const path = rawSafetensors(
        join(root, `${name.replaceAll(' ', '-')}.safetensors`),
        header,
        bytes,
        override,
      );
      const error = await errorOf(openSafetensors(path));
      expect(error.message).toMatch(message);
      expect(error.path).toBe(path);
    },
  );

  it('should refuse a file too short to hold a header, and a missing file', async () => {
    writeFileSync(join(root, 'short.safetensors'), Buffer.alloc(3));
    expect((await errorOf(openSafetensors(join(root, 'short.safetensors')))).message).toMatch(/too short/);
    expect((await errorOf(openSafetensors(join(root, 'none.safetensors')))).message).toMatch(
      /cannot be opened/,
    );
  });
});

describe('openCheckpoint and convertCheckpoint on bad checkpoints', () => {
  const good = join(root, 'good');
  beforeAll(async () => {
    await writeSyntheticCheckpoint(good, 'tiny-qwen2', {
      seed: 1,
      dtype: 'F32',
      tokenizer: internvlQwen2Tokenizer(),
    });
  }, 120_000);

  async function variant(name: string, edit: (directory: string) => Promise<void> | void): Promise<string> {
    const directory = join(root, name);
    await writeSyntheticCheckpoint(directory, 'tiny-qwen2', {
      seed: 1,
      dtype: 'F32',
      tokenizer: internvlQwen2Tokenizer(),
    });
    await edit(directory);
    return directory;
  }

  async function rewriteWeights(
    directory: string,
    change: (entries: { name: string; shape: number[] }[]) => { name: string; shape: number[] }[],
  ) {
    const file = await openSafetensors(join(directory, 'model.safetensors'));
    const entries = change([...file.entries.values()].map((e) => ({ name: e.name, shape: [...e.shape] })));
    await writeSafetensors(
      join(directory, 'model.safetensors'),
      entries.map((e) => ({ ...e, dtype: 'F32' as const })),
      (name) => {
        const shape = entries.find((e) => e.name === name)!.shape;
        return new Float32Array(shape.reduce((a, b) => a * b, 1));
      },
    );
  }

  it('should name a missing tensor', async () => {
    const directory = await variant('missing', (d) =>
      rewriteWeights(d, (entries) => entries.filter((e) => e.name !== 'mlp1.1.bias')),
    );
    const error = await errorOf(openCheckpoint(directory));
    expect(error.tensor).toBe('mlp1.1.bias');
    expect(error.message).toMatch(/missing tensor mlp1\.1\.bias \[64\] required by config\.json/);
  });

  it('should name an extra tensor and a misshapen one', async () => {
    const extra = await variant('extra', (d) =>
      rewriteWeights(d, (entries) => [
        ...entries,
        { name: 'vision_model.encoder.layers.9.ls1', shape: [32] },
      ]),
    );
    expect((await errorOf(openCheckpoint(extra))).message).toMatch(
      /unexpected tensor vision_model\.encoder\.layers\.9\.ls1/,
    );
    const misshapen = await variant('misshapen', (d) =>
      rewriteWeights(d, (entries) =>
        entries.map((e) => (e.name === 'mlp1.3.weight' ? { ...e, shape: [64, 63] } : e)),
      ),
    );
    const error = await errorOf(openCheckpoint(misshapen));
    expect(error.tensor).toBe('mlp1.3.weight');
    expect(error.message).toMatch(/has shape \[64, 63\] but config\.json implies \[64, 64\]/);
  });

  it('should refuse an unknown architecture and a missing config', async () => {
    const directory = await variant('arch', (d) => {
      const config = JSON.parse(readFileSync(join(d, 'config.json'), 'utf8'));
      config.llm_config.architectures = ['LlamaForCausalLM'];
      writeFileSync(join(d, 'config.json'), JSON.stringify(config));
    });
    expect((await errorOf(openCheckpoint(directory))).message).toMatch(
      /unknown LLM architecture "LlamaForCausalLM"/,
    );
    expect((await errorOf(openCheckpoint(join(root, 'nowhere')))).message).toMatch(/Missing .*config\.json/);
  });

  it('should refuse an InternVL3.5-Flash checkpoint (mlp2) by name, saying what to use instead', async () => {
    const directory = await variant('flash', (d) =>
      rewriteWeights(d, (entries) => [...entries, { name: 'mlp2.0.weight', shape: [128] }]),
    );
    const error = await errorOf(openCheckpoint(directory));
    expect(error.tensor).toBe('mlp2.0.weight');
    expect(error.message).toMatch(/InternVL3\.5-Flash's second projector .* Use the non-Flash checkpoint/);
  });

  it('should name the -hf tensor a -hf checkpoint lacks, by its own name', async () => {
    const directory = join(root, 'hf-missing');
    await writeSyntheticCheckpoint(directory, 'tiny-qwen2', {
      seed: 1,
      dtype: 'F32',
      tokenizer: internvlQwen2Tokenizer(),
      layout: 'hf',
    });
    await rewriteWeights(directory, (entries) =>
      entries.filter((e) => e.name !== 'model.vision_tower.encoder.layer.1.attention.k_proj.weight'),
    );
    const error = await errorOf(openCheckpoint(directory));
    expect(error.tensor).toBe('model.vision_tower.encoder.layer.1.attention.k_proj.weight');
    expect(error.message).toMatch(
      /missing tensor model\.vision_tower\.encoder\.layer\.1\.attention\.k_proj\.weight \[32, 32\]/,
    );
  });

  it('should leave nothing that looks like a model when conversion fails midway', async () => {
    const directory = await variant('truncated', (d) => {
      const bytes = readFileSync(join(d, 'model.safetensors'));
      writeFileSync(join(d, 'model.safetensors'), bytes.subarray(0, bytes.length - 1000));
    });
    const out = join(root, 'truncated-out');
    const error = await errorOf(convertCheckpoint(directory, out));
    expect(error.message).toMatch(/lies outside the .*data section/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(root).filter((name) => name.includes('truncated-out'))).toEqual([]);
  });

  it('should refuse to overwrite an existing output unless asked', async () => {
    const out = join(root, 'existing-out');
    await convertCheckpoint(good, out);
    expect((await errorOf(convertCheckpoint(good, out))).message).toMatch(/already exists/);
    const again = await convertCheckpoint(good, out, { overwrite: true });
    expect(again.files.map((f) => f.path)).toContain('ivl.json');
  });
});
