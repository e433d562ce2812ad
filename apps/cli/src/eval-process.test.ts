import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tinyModel } from '@ivl/test-models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// `ivl eval` as a user runs it: real processes, SIGKILL, and a real redis-server on loopback.
const bin = fileURLToPath(new URL('../bin/ivl.mjs', import.meta.url));
const workDir = mkdtempSync(join(tmpdir(), 'ivl-eval-process-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const run = (args: string[]) => {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr!.on('data', (chunk) => {
    stderr += chunk;
  });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
  return { child, done, stderr: () => stderr };
};
const indices = (path: string) =>
  readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line).index as string);
const ALL = Array.from({ length: 12 }, (_, i) => String(i));

describe('ivl eval', () => {
  let model: string;
  beforeAll(async () => {
    ({ model } = await tinyModel('tiny-qwen2'));
  }, 300_000);

  it('should resume after a SIGKILL with every question answered once', async () => {
    const out = join(workDir, 'killed.jsonl');
    const first = run(['eval', '-m', model, '--max-new-tokens', '24', '--out', out]);
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (existsSync(out) && readFileSync(out, 'utf8').split('\n').length > 4) {
          clearInterval(check);
          resolve();
        }
      }, 20);
    });
    first.child.kill('SIGKILL');
    await first.done;
    const before = indices(out).length;
    expect(before).toBeGreaterThan(2);
    expect(before).toBeLessThan(12);
    const second = await run(['eval', '-m', model, '--max-new-tokens', '24', '--out', out]).done;
    expect(second.code).toBe(0);
    expect(indices(out)).toEqual(ALL);
    expect(second.stdout).toMatch(/^direct\s+12\s+/m);
  }, 120_000);

  it('should write a report and a chart of several runs', async () => {
    const vote = join(workDir, 'vote.jsonl');
    expect(
      (
        await run([
          'eval',
          '-m',
          model,
          '--mode',
          'vote',
          '--votes',
          '3',
          '--max-new-tokens',
          '4',
          '--limit',
          '2',
          '--out',
          vote,
        ]).done
      ).code,
    ).toBe(0);
    const chart = join(workDir, 'chart.svg');
    const report = await run(['eval', 'report', join(workDir, 'killed.jsonl'), vote, '--chart', chart]).done;
    expect(report.code).toBe(0);
    expect(report.stdout).toMatch(/^direct\s+12 /m);
    expect(report.stdout).toMatch(/^vote@3\s+2 /m);
    expect(readFileSync(chart, 'utf8')).toMatch(/^<svg [\s\S]*vote@3[\s\S]*<\/svg>$/);
  }, 120_000);

  const redis = (() => {
    try {
      return execFileSync('which', ['redis-server']).toString().trim();
    } catch {
      return undefined;
    }
  })();
  describe.runIf(redis !== undefined || process.env.CI)('on a BullMQ queue', () => {
    let server: ChildProcess;
    let url: string;
    beforeAll(async () => {
      const port = await new Promise<number>((resolve) => {
        const probe = createServer().listen(0, '127.0.0.1', () => {
          const { port } = probe.address() as { port: number };
          probe.close(() => resolve(port));
        });
      });
      server = spawn(
        redis ?? 'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        {
          stdio: 'ignore',
        },
      );
      url = `redis://127.0.0.1:${port}`;
      await new Promise((resolve) => setTimeout(resolve, 500));
    });
    afterAll(() => {
      server?.kill('SIGTERM');
    });

    it('should spread the questions over two workers and gather each answer once', async () => {
      const workers = [0, 1].map(() => run(['eval', 'worker', '--queue', url, '-m', model]));
      const out = join(workDir, 'queued.jsonl');
      const producer = await run(['eval', '--queue', url, '-m', model, '--max-new-tokens', '4', '--out', out])
        .done;
      expect(producer.code, producer.stderr).toBe(0);
      expect(indices(out)).toEqual(ALL);
      const answeredBy = readFileSync(out, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line).worker as string);
      expect(new Set(answeredBy).size).toBe(2);
      // Run again: nothing is queued twice, nothing appended.
      const again = await run(['eval', '--queue', url, '-m', model, '--max-new-tokens', '4', '--out', out])
        .done;
      expect(again.code).toBe(0);
      expect(indices(out)).toEqual(ALL);
      for (const worker of workers) worker.child.kill('SIGINT');
      for (const worker of workers) expect((await worker.done).code).toBe(130);
    }, 120_000);
  });
});
