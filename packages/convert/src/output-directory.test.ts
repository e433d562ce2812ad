import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AbortedError, CheckpointError, InvalidArgumentError } from '@ivl/core';
import { internvlQwen2Tokenizer } from '@ivl/synthetic-tokenizers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertCheckpoint } from './convert-checkpoint.js';
import { writeSyntheticCheckpoint } from './synthetic/write-synthetic-checkpoint.js';

const root = mkdtempSync(join(tmpdir(), 'ivl-convert-output-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const listing = (directory: string) => readdirSync(directory, { recursive: true }).map(String).sort();
const refused = async (promise: Promise<unknown>) => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(InvalidArgumentError.isInstance(error), String(error)).toBe(true);
  return (error as Error).message;
};

describe('convertCheckpoint and the data it must not destroy', () => {
  const work = join(root, 'models');
  const checkpoint = join(work, 'tiny-hf');
  let before: string[];
  beforeAll(async () => {
    mkdirSync(work, { recursive: true });
    await writeSyntheticCheckpoint(checkpoint, 'tiny-qwen2', {
      seed: 3,
      tokenizer: internvlQwen2Tokenizer(),
    });
    writeFileSync(join(work, 'notes.txt'), 'unrelated file beside the checkpoint');
    before = listing(work);
  }, 120_000);

  it('should refuse an output that is the checkpoint, holds it, or lies inside it, before any work', async () => {
    expect(await refused(convertCheckpoint(checkpoint, checkpoint, { overwrite: true }))).toMatch(
      /The output .* is the checkpoint .*; writing it would destroy the checkpoint/,
    );
    expect(await refused(convertCheckpoint(checkpoint, work, { overwrite: true }))).toMatch(
      /holds the checkpoint/,
    );
    expect(
      await refused(convertCheckpoint(checkpoint, join(checkpoint, 'ivl'), { overwrite: true })),
    ).toMatch(/lies inside the checkpoint/);
    const link = join(root, 'link-to-checkpoint');
    symlinkSync(checkpoint, link);
    expect(await refused(convertCheckpoint(checkpoint, link, { overwrite: true }))).toMatch(
      /is the checkpoint/,
    );
    expect(listing(work)).toEqual(before);
  });

  it('should refuse a cache size for attending in place that is not a number of bytes, before any work', async () => {
    for (const bytes of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      const out = join(root, 'never-written');
      expect(await refused(convertCheckpoint(checkpoint, out, { inPlaceAttentionMinBytes: bytes }))).toMatch(
        /inPlaceAttentionMinBytes|Expected a number of bytes ≥ 0/,
      );
      expect(existsSync(out)).toBe(false);
    }
  });

  it('should refuse a dtype it does not know, before any work', async () => {
    // From JavaScript, where the type does not hold callers to the list.
    const out = join(root, 'never-written');
    const dtype = 'int4' as unknown as 'q4';
    expect(await refused(convertCheckpoint(checkpoint, out, { dtype }))).toMatch(
      /Expected one of fp32, fp16, q8, q4, int8, got int4/,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('should not replace an existing folder that is not an earlier output, even with overwrite', async () => {
    const mine = join(root, 'my-documents');
    mkdirSync(mine);
    writeFileSync(join(mine, 'thesis.txt'), 'precious');
    expect(await refused(convertCheckpoint(checkpoint, mine, { overwrite: true }))).toMatch(
      /is not an ivl model directory \(no ivl\.json\), so it is not replaced/,
    );
    expect(readdirSync(mine)).toEqual(['thesis.txt']);
    const error = await convertCheckpoint(checkpoint, mine).catch((e: unknown) => e);
    expect(CheckpointError.isInstance(error)).toBe(true);
  });

  it('should remove what a killed conversion left, keep a running one’s, and replace an earlier output', async () => {
    const out = join(root, 'out');
    // A conversion killed with SIGKILL: its temporary folder, named for a process that is gone.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const leftover = join(root, `.out.tmp-${dead}-1700000000000`);
    mkdirSync(join(leftover, 'onnx'), { recursive: true });
    writeFileSync(join(leftover, 'onnx', 'decoder_model_merged.onnx_data'), new Uint8Array(1024));
    // One of a conversion still running (this process's parent is alive).
    const running = join(root, `.out.tmp-${process.ppid}-1700000000001`);
    mkdirSync(running);
    await convertCheckpoint(checkpoint, out);
    expect(existsSync(leftover)).toBe(false);
    expect(existsSync(running)).toBe(true);
    expect(existsSync(join(out, 'ivl.json'))).toBe(true);
    await convertCheckpoint(checkpoint, out, { overwrite: true });
    expect(readdirSync(root).filter((name) => name.startsWith('.out.tmp-'))).toEqual([
      `.out.tmp-${process.ppid}-1700000000001`,
    ]);
  }, 120_000);

  it('should end an aborted conversion with an AbortedError and leave nothing behind', async () => {
    const controller = new AbortController();
    const out = join(root, 'aborted');
    const pending = convertCheckpoint(checkpoint, out, {
      signal: controller.signal,
      onProgress: ({ fraction }) => {
        if (fraction > 0.2) controller.abort(new Error('user pressed Ctrl-C'));
      },
    });
    const error = await pending.catch((e: unknown) => e);
    expect(AbortedError.isInstance(error), String(error)).toBe(true);
    expect(
      readdirSync(root).filter((name) => name.startsWith('.aborted.tmp-') || name === 'aborted'),
    ).toEqual([]);
  }, 120_000);

  it('should give typed errors for a null config.json and a tokenizer.json without added tokens', async () => {
    const broken = join(root, 'broken-hf');
    execFileSync('cp', ['-r', checkpoint, broken]);
    writeFileSync(join(broken, 'config.json'), 'null');
    const nullConfig = await convertCheckpoint(broken, join(root, 'broken-out')).catch((e: unknown) => e);
    expect(CheckpointError.isInstance(nullConfig)).toBe(true);
    expect((nullConfig as Error).message).toMatch(/config\.json holds null, not a JSON object/);
    execFileSync('cp', [join(checkpoint, 'config.json'), join(broken, 'config.json')]);
    writeFileSync(join(broken, 'tokenizer.json'), '{}');
    const emptyTokenizer = await convertCheckpoint(broken, join(root, 'broken-out')).catch((e: unknown) => e);
    expect(CheckpointError.isInstance(emptyTokenizer), String(emptyTokenizer)).toBe(true);
    expect((emptyTokenizer as Error).message).toMatch(/has no added_tokens list/);
  });
});
