import { type ChildProcess, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tinyModel } from '@ivl/test-models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The real `ivl` process (bin/ivl.mjs over the built dist), with real pipes and signals.
const bin = fileURLToPath(new URL('../bin/ivl.mjs', import.meta.url));
const sample = fileURLToPath(new URL('../assets/sample.jpg', import.meta.url));
const workDir = mkdtempSync(join(tmpdir(), 'ivl-cli-process-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

function start(
  args: string[],
  stdin: 'pipe' | 'ignore' = 'pipe',
): { child: ChildProcess; done: Promise<Finished> } {
  const child = spawn(process.execPath, [bin, ...args], { stdio: [stdin, 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr!.on('data', (chunk) => {
    stderr += chunk;
  });
  const done = new Promise<Finished>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
  return { child, done };
}

const answers = (stderr: string) => stderr.split('\n').filter((line) => /^\[\d+ prompt tokens/.test(line));
const noStack = (stderr: string) => expect(stderr).not.toMatch(/^\s+at /m);

describe('the ivl process', () => {
  let model: string;
  // Sampled, so that the random-weight model does not end it early: thousands of tokens.
  const longAnswer = () =>
    start([
      'chat',
      '-m',
      model,
      '--max-new-tokens',
      '3000',
      '--temperature',
      '1',
      '--seed',
      '1',
      'Tell a long story.',
    ]);
  beforeAll(async () => {
    ({ model } = await tinyModel('tiny-qwen2'));
  }, 300_000);

  it('should answer every question piped in, one after another, and exit 0 at EOF', async () => {
    const { child, done } = start(['chat', '-m', model, '--max-new-tokens', '3']);
    // All three arrive at once, while the model is still loading or answering the first.
    child.stdin!.end('What is it?\nAnd now?\n\nLast one?\n');
    const result = await done;
    expect(result.code).toBe(0);
    expect(answers(result.stderr)).toHaveLength(3);
    // Each follow-up reuses the conversation so far.
    expect(answers(result.stderr)[2]).toMatch(/\d+ reused/);
  }, 60_000);

  it('should exit 0 on an empty stdin (< /dev/null)', async () => {
    const result = await start(['chat', '-m', model], 'ignore').done;
    expect(result.code).toBe(0);
    noStack(result.stderr);
  }, 60_000);

  it('should end quietly when the reader of stdout goes away (| head -c 1)', async () => {
    const { child, done } = longAnswer();
    child.stdout!.once('data', () => child.stdout!.destroy());
    const result = await done;
    expect(result.code).toBe(0);
    expect(result.stderr).not.toMatch(/EPIPE|Error/);
    noStack(result.stderr);
  }, 60_000);

  it('should stop a long answer on Ctrl-C and exit 130', async () => {
    const { child, done } = longAnswer();
    await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
    const sent = performance.now();
    child.kill('SIGINT');
    const result = await done;
    expect(result.code).toBe(130);
    expect(performance.now() - sent).toBeLessThan(3000);
    expect(result.stderr).toMatch(/^ivl: interrupted$/m);
    noStack(result.stderr);
  }, 60_000);

  it('should serve until SIGTERM, finish the running request, and exit 0', async () => {
    const { child, done } = start(['serve', '-m', model, '--port', '0', '--shutdown-deadline-ms', '60000']);
    const address = await new Promise<string>((resolve) => {
      let seen = '';
      child.stderr!.on('data', (chunk) => {
        seen += chunk;
        const match = /at (http:\/\/127\.0\.0\.1:\d+)\/v1/.exec(seen);
        if (match) resolve(match[1]!);
      });
    });
    // Streamed, so that SIGTERM comes once the request is surely running (not merely sent); the
    // deadline leaves a loaded CI machine time to finish it (past it the server cuts the stream).
    const response = await fetch(`${address}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        messages: [{ role: 'user', content: 'Tell a story.' }],
        max_tokens: 40,
        temperature: 1,
        seed: 2,
        stream: true,
        stream_options: { include_usage: true },
      }),
    });
    const reader = response.body!.getReader();
    let body = '';
    let signalled = false;
    for (;;) {
      const { done: ended, value } = await reader.read();
      if (ended) break;
      body += new TextDecoder().decode(value);
      if (!signalled && body.includes('"delta"')) {
        signalled = true;
        child.kill('SIGTERM');
      }
    }
    expect(signalled).toBe(true);
    // The running request finished after SIGTERM: its usage chunk and [DONE] arrived.
    const usage = /"completion_tokens":(\d+)/.exec(body);
    expect(Number(usage?.[1])).toBeGreaterThan(0);
    expect(body).toContain('data: [DONE]');
    const result = await done;
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/stopping: finishing requests/);
    await expect(fetch(`${address}/health`)).rejects.toThrow();
  }, 60_000);

  // Two CLI processes, each compiling the grammar over the 151k-token vocabulary (~5 s alone):
  // the bound is a hang guard for a CI machine running every package's tests at once (it took 60 s there).
  it('should follow --json-schema and draw the grounded boxes with --draw', async () => {
    const schema = join(workDir, 'pet.json');
    writeFileSync(
      schema,
      JSON.stringify({
        type: 'object',
        properties: { pet: { enum: ['cat', 'dog'] }, legs: { type: 'integer', minimum: 0, maximum: 8 } },
        required: ['pet', 'legs'],
      }),
    );
    const constrained = await start([
      'chat',
      '-m',
      model,
      '--json-schema',
      schema,
      '--temperature',
      '1',
      '--seed',
      '5',
      '--max-new-tokens',
      '40',
      'Which pet?',
    ]).done;
    expect(constrained.code).toBe(0);
    const answer = JSON.parse(constrained.stdout.trim());
    expect(['cat', 'dog']).toContain(answer.pet);
    const picture = join(workDir, 'boxes.png');
    const drawn = await start([
      'chat',
      '-m',
      model,
      '-i',
      sample,
      '--max-tiles',
      '1',
      '--max-new-tokens',
      '2',
      '--draw',
      picture,
      'Where is it?',
    ]).done;
    expect(drawn.code).toBe(0);
    expect(drawn.stderr).toMatch(/\[drew \d+ grounded box\(es\) on .*sample\.jpg into .*boxes\.png\]/);
    expect(existsSync(picture)).toBe(true);
  }, 180_000);

  it.skipIf(process.env.IVL_GPU)(
    'should fall back from CUDA to the CPU without a native error line',
    async () => {
      const { code, stderr } = await start([
        'chat',
        '-m',
        model,
        '--device',
        'cuda,cpu',
        '--max-new-tokens',
        '1',
        'Hi',
      ]).done;
      expect(code).toBe(0);
      expect(stderr).toContain(', on cpu');
      expect(stderr).not.toMatch(/onnxruntime|\[E:/);
    },
  );

  it('should print its version', async () => {
    const { version } = JSON.parse(
      readFileSync(fileURLToPath(new URL('../package.json', import.meta.url)), 'utf8'),
    );
    const result = await start(['--version']).done;
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(version);
  });

  it('should print every error as one line, and the stack only with --verbose', async () => {
    const missing = await start(['chat', '-m', join(workDir, 'no-model'), 'hi']).done;
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toMatch(/^ivl: ModelLoadError: Model directory not found: .*no-model\.$/);
    const verbose = await start(['--verbose', 'chat', '-m', join(workDir, 'no-model'), 'hi']).done;
    expect(verbose.code).toBe(1);
    expect(verbose.stderr).toMatch(/^ivl: ModelLoadError: /);
    expect(verbose.stderr).toMatch(/^\s+at /m);
  }, 60_000);

  it('should refuse a folder as the tiles picture, leaving nothing behind', async () => {
    const folder = join(workDir, 'pictures');
    mkdirSync(folder);
    const result = await start(['tiles', sample, '-o', folder]).done;
    expect(result.code).toBe(2); // refused before any work: a usage error
    expect(result.stderr.trim()).toMatch(
      /^ivl: InvalidArgumentError: --out .*pictures is a folder; give the picture's file name/,
    );
    expect(readdirSync(folder)).toEqual([]);
    expect(readdirSync(workDir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    const itself = await start(['tiles', sample, '-o', sample]).done;
    expect(itself.stderr).toMatch(/is the input image; writing the picture there would destroy it/);
    expect(existsSync(sample)).toBe(true);
  }, 60_000);
});
