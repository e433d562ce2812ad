import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tinyModel } from '@ivl/test-models';
import { type HubServer, startHubServer } from '@ivl/test-models/hub-server';
import { transform } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedOutputs, importedPackages, normalized, readReadme, sectionBlock } from './readme-blocks.js';

// Every package README's usage example, run as written against the built packages, in a folder
// holding what the examples name: photo.jpg / sample.jpg (the CLI's 1280×720 sample), clip.mp4 (5 s,
// 640×480, 30 fps, H.264), models/internvl2_5-1b and models/tiny (the tiny converted model: random
// weights, the real layout), InternVL2_5-1B (its checkpoint), MMMU_DEV_VAL.tsv (the bundled sample
// set), and the Hub (hf:OpenGVLab/InternVL2_5-1B) as a local server in the Hub's URL layout.
const root = join(import.meta.dirname, '..', '..', '..');
const work = mkdtempSync(join(tmpdir(), 'ivl-readme-examples-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// Examples that cannot run in Node, and where they are run instead.
const ELSEWHERE: Record<string, string> = {
  'packages/backend-web':
    'a browser example (WebGPU/wasm from URLs): the same calls run in headless Chromium in src/web-backend.browser.test.ts',
};

const documented = [
  ...readdirSync(join(root, 'packages')).map((name) => `packages/${name}`),
  'apps/server',
].filter((dir) => {
  try {
    return sectionBlock(readReadme(join(root, dir, 'README.md')), 'Usage', ['ts', 'js']) !== undefined;
  } catch {
    return false;
  }
});

let model: string;
let checkpoint: string;
let clip: string;
let hub: HubServer;

beforeAll(async () => {
  ({ model, checkpoint } = await tinyModel('tiny-qwen2'));
  clip = join(work, 'clip.mp4');
  execFileSync('ffmpeg', [
    ...['-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=640x480:rate=30', '-t', '5'],
    ...['-c:v', 'libx264', '-pix_fmt', 'yuv420p', clip],
  ]);
  hub = await startHubServer({ repos: { 'OpenGVLab/InternVL2_5-1B': checkpoint } });
}, 300_000);
afterAll(() => hub?.close());

function makeWorld(name: string): string {
  const world = join(work, name.replace('/', '-'));
  mkdirSync(join(world, 'models'), { recursive: true });
  const sample = join(root, 'apps/cli/assets/sample.jpg');
  copyFileSync(sample, join(world, 'photo.jpg'));
  copyFileSync(sample, join(world, 'sample.jpg'));
  copyFileSync(clip, join(world, 'clip.mp4'));
  copyFileSync(join(root, 'apps/cli/assets/eval-sample.tsv'), join(world, 'MMMU_DEV_VAL.tsv'));
  symlinkSync(model, join(world, 'models', 'internvl2_5-1b'));
  symlinkSync(model, join(world, 'models', 'tiny'));
  symlinkSync(checkpoint, join(world, 'InternVL2_5-1B'));
  return world;
}

function run(command: string, args: string[], cwd: string, env: Record<string, string>) {
  const child = spawn(command, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
  return { child, done };
}

async function startServer(world: string): Promise<ChildProcess> {
  const { child } = run(
    process.execPath,
    [join(root, 'apps/cli/bin/ivl.mjs'), 'serve', '-m', join(world, 'models/tiny'), '--port', '8000'].concat([
      '--api-key',
      'secret',
      '--model-name',
      'internvl',
    ]),
    world,
    {},
  );
  for (let attempt = 0; attempt < 600; attempt++) {
    const ready = await fetch('http://127.0.0.1:8000/v1/models', {
      headers: { authorization: 'Bearer secret' },
    }).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return child;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill();
  throw new Error('ivl serve did not start on 127.0.0.1:8000');
}

describe.each(documented)('the README example of %s', (dir) => {
  const readme = readReadme(join(root, dir, 'README.md'));
  const example = sectionBlock(readme, 'Usage', ['ts', 'js'])!;
  const install = sectionBlock(readme, 'Install', ['sh']) ?? '';
  const name = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')).name as string;

  it('should install every package it imports', () => {
    const words = new Set(install.split(/\s+/));
    const missing = importedPackages(example).filter((pkg) => pkg !== name && !words.has(pkg));
    expect(missing, `the install line of ${dir}/README.md misses them`).toEqual([]);
  });

  it.skipIf(dir in ELSEWHERE)(
    `should run as written and print what it says (${ELSEWHERE[dir] ?? 'in Node'})`,
    async () => {
      const world = makeWorld(dir);
      // Inside the package folder, so that its name and its dependencies resolve as a user's would.
      const file = join(root, dir, '.cache', 'readme-example.mjs');
      mkdirSync(join(root, dir, '.cache'), { recursive: true });
      writeFileSync(file, (await transform(example, { loader: 'ts', format: 'esm', target: 'node20' })).code);
      const server = dir === 'apps/server' ? await startServer(world) : undefined;
      try {
        const { code, stdout, stderr } = await run(process.execPath, [pathToFileURL(file).pathname], world, {
          HF_ENDPOINT: hub.url,
          HF_TOKEN: '',
          XDG_CACHE_HOME: join(world, '.cache'),
        }).done;
        expect(code, `${dir}/README.md's example failed:\n${stderr.slice(-3000)}`).toBe(0);
        // What the comments say it prints, in order.
        let at = 0;
        const printed = normalized(stdout);
        for (const expected of expectedOutputs(example)) {
          const found = printed.indexOf(normalized(expected), at);
          expect(
            found,
            `"${expected}" not printed (in order) by ${dir}/README.md's example; it printed:\n${stdout}`,
          ).toBeGreaterThanOrEqual(0);
          at = found + normalized(expected).length;
        }
        expect(stdout.length + stderr.length).toBeGreaterThan(0);
      } finally {
        server?.kill();
      }
    },
  );
});

describe('the examples of apps/cli/README.md', () => {
  it('should run every `ivl …` line as written, printing the tiles table the README shows', async () => {
    const readme = readReadme(join(root, 'apps/cli/README.md'));
    const examples = readme.slice(readme.indexOf('\n## Examples'));
    const world = makeWorld('apps/cli-examples');
    // `ivl` on PATH, as `npm i -g @ivl/cli` puts it there.
    const bin = join(world, 'bin');
    mkdirSync(bin);
    writeFileSync(
      join(bin, 'ivl'),
      `#!/bin/sh\nexec "${process.execPath}" "${join(root, 'apps/cli/bin/ivl.mjs')}" "$@"\n`,
      {
        mode: 0o755,
      },
    );
    const env = {
      PATH: `${bin}:${process.env.PATH}`,
      HF_ENDPOINT: hub.url,
      HF_TOKEN: '',
      XDG_CACHE_HOME: join(world, '.cache'),
    };
    const blocks = [...examples.matchAll(/```(sh)?\n([\s\S]*?)\n```/g)].map((m) => ({
      sh: m[1] === 'sh',
      text: m[2]!,
    }));
    let ran = 0;
    for (const [index, block] of blocks.entries()) {
      if (!block.sh) continue;
      for (const line of block.text.split('\n').filter((l) => l.startsWith('ivl '))) {
        const { code, stdout, stderr } = await run('bash', ['-c', line], world, env).done;
        expect(code, `${line}\n${stderr}`).toBe(0);
        ran++;
        const shown = blocks[index + 1];
        if (shown && !shown.sh && line.startsWith('ivl tiles')) {
          // Every line as shown, but the time (which is this machine's).
          const keep = (text: string) => text.split('\n').filter((l) => l && !l.startsWith('time'));
          expect(keep(stdout)).toEqual(keep(shown.text));
        }
      }
    }
    expect(ran).toBeGreaterThanOrEqual(4);
  });
});
