import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNodeBackend } from '@ivl/backend-node';
import { AbortedError, InvalidArgumentError } from '@ivl/core';
import type { Runtime } from '@ivl/runtime';
import { createRuntime } from '@ivl/runtime/node';
import { tinyModel } from '@ivl/test-models';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatReport, renderChart, summarize } from '../report.js';
import { evaluateItem, evaluationPrompt } from '../run-evaluation.js';
import { readVlmEvalTsv } from '../vlmevalkit-tsv.js';
import { nodeDecodeImage, readResults, runEvaluationFile } from './results-file.js';

const root = mkdtempSync(join(tmpdir(), 'ivl-eval-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function sampleTsv(): Promise<string> {
  const png = async (value: number) =>
    (
      await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: value, g: 40, b: 200 } } })
        .png()
        .toBuffer()
    ).toString('base64');
  const rows = ['index\tquestion\thint\tA\tB\tC\tanswer\tcategory\timage'];
  for (let i = 0; i < 6; i++) {
    const image = i === 5 ? '0' : await png(i * 40); // row 5 shares row 0's image, as VLMEvalKit stores repeats
    rows.push(
      `${i}\tWhich shade is it?\t${i % 2 ? 'Look.' : ''}\tdark\tmid\tlight\t${'ABC'[i % 3]}\t${i < 3 ? 'a' : 'b'}\t${image}`,
    );
  }
  const path = join(root, 'set.tsv');
  writeFileSync(path, `${rows.join('\n')}\n`);
  return path;
}

describe('evaluation runs on tiny-qwen2', () => {
  let runtime: Runtime;
  let data: string;
  beforeAll(async () => {
    const { model } = await tinyModel('tiny-qwen2');
    runtime = await createRuntime({ model, backend: createNodeBackend() });
    data = await sampleTsv();
  }, 300_000);
  afterAll(() => runtime.dispose());

  it('should read the TSV as VLMEvalKit lays it out, shared images included', () => {
    const items = readVlmEvalTsv(readFileSync(data, 'utf8'));
    expect(items).toHaveLength(6);
    expect(items[1]).toMatchObject({
      index: '1',
      hint: 'Look.',
      options: { A: 'dark', B: 'mid', C: 'light' },
      answer: 'B',
      category: 'a',
    });
    expect(items[0]!.hint).toBeUndefined();
    expect(items[5]!.images[0]).toEqual(items[0]!.images[0]);
    expect(evaluationPrompt(items[1]!, 'direct')).toBe(
      "<image>\nLook.\nWhich shade is it?\nA. dark\nB. mid\nC. light\nAnswer with the option's letter from the given choices directly.",
    );
  });

  it('should resume a stopped run where it stopped, each question once, and refuse other settings', async () => {
    const out = join(root, 'direct.jsonl');
    const controller = new AbortController();
    const stopped = await runEvaluationFile({
      runtime,
      data,
      out,
      model: 'tiny',
      mode: 'direct',
      maxNewTokens: 4,
      signal: controller.signal,
      onProgress: ({ done }) => {
        if (done === 3) controller.abort('stop');
      },
    }).catch((e: unknown) => e);
    expect(AbortedError.isInstance(stopped)).toBe(true);
    expect(await readResults(out)).toHaveLength(3);
    // As a SIGKILL during a write leaves it: half a line.
    appendFileSync(out, '{"index":"3","mode":"dir');
    const resumed = await runEvaluationFile({
      runtime,
      data,
      out,
      model: 'tiny',
      mode: 'direct',
      maxNewTokens: 4,
    });
    expect(resumed.records.map((r) => r.index)).toEqual(['0', '1', '2', '3', '4', '5']);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines.map((line) => JSON.parse(line).index)).toEqual(['0', '1', '2', '3', '4', '5']);
    const other = await runEvaluationFile({
      runtime,
      data,
      out,
      model: 'tiny',
      mode: 'cot',
      maxNewTokens: 4,
    }).catch((e: unknown) => e);
    expect(InvalidArgumentError.isInstance(other)).toBe(true);
    expect((other as Error).message).toMatch(/was started with other settings \(mode: direct there, cot now/);
  }, 120_000);

  it('should upscale the first image 2× (Pillow bilinear) when asked, as VLMEvalKit does on MMMU', async () => {
    const items = readVlmEvalTsv(readFileSync(data, 'utf8'));
    const plain = await evaluateItem(runtime, items[0]!, { mode: 'direct', maxNewTokens: 2 });
    const misses = runtime.stats.mediaCacheMisses;
    const upscaled = await evaluateItem(runtime, items[0]!, {
      mode: 'direct',
      maxNewTokens: 2,
      upscaleFirstImage: true,
      decodeImage: nodeDecodeImage,
    });
    // 64×64 → 1 tile; 128×128 still 1 tile, but other pixels: same prompt length, other encoding.
    expect(upscaled.promptTokens).toBe(plain.promptTokens);
    expect(runtime.stats.mediaCacheMisses).toBe(misses + 1);
    await expect(
      evaluateItem(runtime, items[0]!, { mode: 'direct', maxNewTokens: 1, upscaleFirstImage: true }),
    ).rejects.toThrow(/needs decodeImage/);
  });

  it('should vote over CoT samples of one prefill and report every run with its token cost', async () => {
    const before = runtime.stats.prefillCalls;
    const vote = await runEvaluationFile({
      runtime,
      data,
      out: join(root, 'vote.jsonl'),
      model: 'tiny',
      mode: 'vote',
      votes: 3,
      maxNewTokens: 4,
      limit: 3,
    });
    expect(runtime.stats.prefillCalls - before).toBe(3);
    for (const record of vote.records) {
      expect(record.samples).toHaveLength(3);
      expect(record.generatedTokens).toBeGreaterThan(0);
    }
    const direct = summarize(await readResults(join(root, 'direct.jsonl')));
    const voted = summarize(vote.records);
    expect(voted.label).toBe('vote@3');
    expect(direct.byCategory.map((c) => c.category)).toEqual(['a', 'b']);
    const report = formatReport([direct, voted]);
    expect(report).toMatch(/^direct\s+6\s+[\d.]+ %/m);
    expect(report).toMatch(/^vote@3\s+3\s+[\d.]+ %/m);
    const chart = renderChart([direct, voted]);
    expect(chart).toMatch(/^<svg /);
    expect(chart).toContain('vote@3');
    expect((chart.match(/<circle /g) ?? []).length).toBe(2);
  }, 120_000);
});
