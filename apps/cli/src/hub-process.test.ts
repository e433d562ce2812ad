import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tinyModel } from '@ivl/test-models';
import { startHubServer } from '@ivl/test-models/hub-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The real `ivl` process against a local server in the Hub's URL layout (HF_ENDPOINT), with its
// caches in a fresh XDG_CACHE_HOME: never the internet, never the user's cache.
const bin = fileURLToPath(new URL('../bin/ivl.mjs', import.meta.url));
const workDir = mkdtempSync(join(tmpdir(), 'ivl-cli-hub-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));
const REPO = 'OpenGVLab/InternVL2_5-Tiny';

function ivl(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [bin, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
}

describe('ivl pull, ivl chat -m hf:…, ivl models', () => {
  let hub: Awaited<ReturnType<typeof startHubServer>>;
  let env: Record<string, string>;
  beforeAll(async () => {
    const { checkpoint } = await tinyModel('tiny-qwen2');
    hub = await startHubServer({ repos: { [REPO]: checkpoint }, token: 'hf_cli_token' });
    env = { HF_ENDPOINT: hub.url, HF_TOKEN: 'hf_cli_token', XDG_CACHE_HOME: join(workDir, 'cache') };
  }, 300_000);
  afterAll(() => hub?.close());

  it('should pull with progress lines, chat on the pulled model, list it and remove it', async () => {
    const denied = await ivl(['pull', REPO], { ...env, HF_TOKEN: '' });
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/^ivl: ModelLoadError: .*HTTP 401.*set HF_TOKEN/m);

    const pulled = await ivl(['pull', REPO], env);
    expect(pulled.code, pulled.stderr).toBe(0);
    // Not a terminal: plain progress lines with bytes, for each phase.
    expect(pulled.stderr).toMatch(/^downloading 100% .*\(\d+\.\d MB of \d+\.\d MB\)$/m);
    expect(pulled.stderr).toMatch(/^converting 100% /m);
    expect(pulled.stdout).toContain(`hf:${REPO} (fp32, commit ${hub.commitOf(REPO).slice(0, 12)})`);

    const before = hub.requests.length;
    const chat = await ivl(['chat', '-m', `hf:${REPO}`, '--max-new-tokens', '3', '--json', 'Hello'], env);
    expect(chat.code, chat.stderr).toBe(0);
    expect(JSON.parse(chat.stdout)).toMatchObject({ question: 'Hello', usage: { generatedTokens: 3 } });
    // Already downloaded and converted: one lookup of what `main` is now, no file fetched.
    expect(hub.requests.slice(before).map((r) => r.url)).toEqual([`/api/models/${REPO}/revision/main`]);

    const listed = await ivl(['models', '--json'], env);
    expect(JSON.parse(listed.stdout).map((m: { kind: string; repo: string }) => [m.kind, m.repo])).toEqual([
      ['checkpoint', REPO],
      ['converted', REPO],
    ]);
    const table = await ivl(['models'], env);
    expect(table.stdout).toMatch(/MB {2}checkpoint {2}OpenGVLab\/InternVL2_5-Tiny@[0-9a-f]{12}/);

    const removed = await ivl(['models', 'rm', REPO], env);
    expect(removed.code).toBe(0);
    expect(removed.stdout).toMatch(/^freed \d+\.\d MB$/m);
    expect((await ivl(['models'], env)).stdout).toContain('no cached models');
    const again = await ivl(['models', 'rm', REPO], env);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/^ivl: InvalidArgumentError: Nothing cached matches/m);
  }, 300_000);
});
