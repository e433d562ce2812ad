import { execFileSync } from 'node:child_process';
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
import { tinyModel } from '@ivl/test-models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// What a user meets: every published package packed as `npm publish` would, installed with npm
// into fresh folders from those tarballs and the npm registry (the registry layout: no workspace
// links, no devDependencies), then used.
const root = join(import.meta.dirname, '..', '..', '..');
const work = mkdtempSync(join(tmpdir(), 'ivl-pack-install-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const published = ['packages', 'apps']
  .flatMap((group) => readdirSync(join(root, group)).map((name) => join(root, group, name)))
  .filter((dir) => existsSync(join(dir, 'package.json')))
  .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
  .filter(({ manifest }) => !manifest.private);

// npm, not pnpm, as users install; pnpm's and npm's own settings of this run are left out.
const cleanEnv = () => {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !/^(npm|pnpm)_/i.test(key)) env[key] = value;
  }
  return {
    ...env,
    // onnxruntime-node's install script downloads CUDA libraries from outside the registry.
    ONNXRUNTIME_NODE_INSTALL: 'skip',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
  };
};
const exec = (command: string, args: string[], cwd: string) =>
  execFileSync(command, args, { cwd, env: cleanEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

const tarballs = new Map<string, string>();
beforeAll(() => {
  const packs = join(work, 'packs');
  mkdirSync(packs);
  for (const { dir, manifest } of published) {
    execFileSync('pnpm', ['pack', '--pack-destination', packs], { cwd: dir, stdio: 'ignore' });
    tarballs.set(
      manifest.name,
      join(packs, `${manifest.name.replace('@', '').replace('/', '-')}-${manifest.version}.tgz`),
    );
  }
}, 120_000);

function freshFolder(name: string, packages: readonly string[]): string {
  const folder = join(work, name);
  mkdirSync(folder);
  writeFileSync(join(folder, 'package.json'), JSON.stringify({ name, private: true, type: 'module' }));
  exec('npm', ['install', '--no-audit', '--no-fund', ...packages.map((pkg) => tarballs.get(pkg)!)], folder);
  return folder;
}

describe('the published tarballs', () => {
  it.each(published.map(({ manifest }) => manifest.name))(
    '%s holds what users need and nothing of the tests',
    (name) => {
      const files = exec('tar', ['-tzf', tarballs.get(name)!], work)
        .split('\n')
        .filter(Boolean)
        .map((path) => path.replace(/^package\//, ''));
      const manifest = JSON.parse(exec('tar', ['-xzOf', tarballs.get(name)!, 'package/package.json'], work));
      expect(files).toContain('LICENSE');
      expect(files).toContain('README.md');
      expect(manifest.license).toBe('MIT');
      expect(manifest.repository?.url).toMatch(/^git\+https:\/\//);
      expect(manifest.homepage).toMatch(/^https:\/\//);
      expect(manifest.bugs?.url).toMatch(/^https:\/\//);
      expect(JSON.stringify(manifest.dependencies ?? {})).not.toContain('workspace:');
      expect(
        files.filter((path) => /\.test\.|test-support\/|\.browser\.ts$|__fixtures__|test-videos/.test(path)),
      ).toEqual([]);
      // Every entry point and bin the manifest names is in the tarball.
      const leaves = (value: unknown): string[] =>
        typeof value === 'string' ? [value] : Object.values(value ?? {}).flatMap(leaves);
      for (const target of leaves([manifest.exports, manifest.bin, manifest.main, manifest.types])) {
        const path = target.replace(/^\.\//, '');
        if (path !== 'package.json') expect(files, `${name}: ${path}`).toContain(path);
      }
    },
  );
});

describe('installed with npm into a fresh folder', () => {
  it('should give a working `ivl`: --version, demo, chat on the demo model', () => {
    const folder = freshFolder('everything', [...tarballs.keys()]);
    const ivl = join(folder, 'node_modules', '.bin', 'ivl');
    expect(exec(ivl, ['--version'], folder).trim()).toBe(
      JSON.parse(readFileSync(join(root, 'apps/cli/package.json'), 'utf8')).version,
    );
    const demo = exec(ivl, ['demo', '--cache', join(folder, 'demo'), '--max-new-tokens', '3'], folder);
    expect(demo).toMatch(/^answer: /m);
    const chat = JSON.parse(
      exec(
        ivl,
        ['chat', '-m', join(folder, 'demo', 'tiny-qwen2-ivl'), '--max-new-tokens', '2', '--json', 'Hi'],
        folder,
      ),
    );
    expect(chat.usage.generatedTokens).toBe(2);
    // Both module systems, from the registry layout.
    expect(
      exec('node', ['-e', "console.log(typeof require('@ivl/runtime/node').createRuntime)"], folder).trim(),
    ).toBe('function');
    // The package root gives Node's implementation by its `node` export condition.
    expect(
      exec(
        'node',
        [
          '--input-type=module',
          '-e',
          "import { createRuntime, prepareModel } from '@ivl/runtime'; console.log(typeof createRuntime, typeof prepareModel)",
        ],
        folder,
      ).trim(),
    ).toBe('function function');
    expect(
      exec(
        'node',
        [
          '--input-type=module',
          '-e',
          "import { createIvl } from '@ivl/ai-sdk-provider'; console.log(typeof createIvl)",
        ],
        folder,
      ).trim(),
    ).toBe('function');
  }, 600_000);

  it('should install @ivl/runtime without the converter, and say what to install for a checkpoint', async () => {
    const { checkpoint, model } = await tinyModel('tiny-qwen2');
    const runtimeOnly = ['@ivl/core', '@ivl/tiling', '@ivl/video', '@ivl/sampling', '@ivl/prompt'].concat([
      '@ivl/vision-encoder',
      '@ivl/projector',
      '@ivl/decoder',
      '@ivl/runtime',
      '@ivl/backend-node',
    ]);
    const folder = freshFolder('runtime-only', runtimeOnly);
    expect(existsSync(join(folder, 'node_modules', '@ivl', 'convert'))).toBe(false);
    // The converter's protobufjs 6 (~22 MB) stays out of a runtime install.
    expect(existsSync(join(folder, 'node_modules', 'protobufjs'))).toBe(false);
    const script = (path: string) =>
      [
        "import { createNodeBackend } from '@ivl/backend-node';",
        "import { createRuntime } from '@ivl/runtime/node';",
        `const runtime = await createRuntime({ model: ${JSON.stringify(path)}, backend: createNodeBackend() }).catch((e) => e);`,
        "console.log(runtime.name ?? 'runtime', runtime.message ?? (await runtime.chat([{ role: 'user', content: 'Hi' }], { maxNewTokens: 1 }).text(), 'answered'));",
      ].join('\n');
    writeFileSync(join(folder, 'load-model.mjs'), script(model));
    expect(exec('node', ['load-model.mjs'], folder)).toMatch(/^runtime answered/);
    writeFileSync(join(folder, 'load-checkpoint.mjs'), script(checkpoint));
    expect(exec('node', ['load-checkpoint.mjs'], folder)).toMatch(/^ModelLoadError .*npm i @ivl\/convert/);
  }, 600_000);
});
