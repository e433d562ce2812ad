import {
  cpSync,
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
import { createNodeBackend } from '@ivl/backend-node';
import { ModelLoadError } from '@ivl/core';
import { tinyModel } from '@ivl/test-models';
import { startHubServer } from '@ivl/test-models/hub-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime } from './create-runtime.js';
import { type DownloadProgressEvent, downloadHubCheckpoint, parseHubModel } from './hub-checkpoint.js';
import { listCachedModels, removeCachedModels } from './model-cache.js';

// Everything talks to a local server in the Hub's URL layout, never the internet.
const root = mkdtempSync(join(tmpdir(), 'ivl-hub-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const REPO = 'OpenGVLab/InternVL2_5-Tiny';
let checkpoint: string;
let localModel: string;

beforeAll(async () => {
  const tiny = await tinyModel('tiny-qwen2');
  localModel = tiny.model;
  // The Hub repository holds more than conversion needs: a README and example media.
  checkpoint = join(root, 'repo');
  cpSync(tiny.checkpoint, checkpoint, { recursive: true });
  writeFileSync(join(checkpoint, 'README.md'), '# a model card\n');
  mkdirSync(join(checkpoint, 'examples'));
  writeFileSync(join(checkpoint, 'examples', 'image1.jpg'), Buffer.alloc(1000, 7));
}, 240_000);

const sameFiles = (directory: string) => {
  for (const name of readdirSync(directory).filter((n) => !n.startsWith('.'))) {
    expect(readFileSync(join(directory, name)).equals(readFileSync(join(checkpoint, name))), name).toBe(true);
  }
};

describe('parseHubModel', () => {
  it('should read hf:owner/name and hf:owner/name@revision, and leave paths alone', () => {
    expect(parseHubModel('hf:OpenGVLab/InternVL2_5-1B')).toEqual({
      repo: 'OpenGVLab/InternVL2_5-1B',
      revision: 'main',
    });
    expect(parseHubModel('hf:OpenGVLab/InternVL2_5-1B@v1.0')).toEqual({
      repo: 'OpenGVLab/InternVL2_5-1B',
      revision: 'v1.0',
    });
    expect(parseHubModel('./models/internvl')).toBeUndefined();
    for (const bad of ['hf:', 'hf:name-only', 'hf:a/b/c', 'hf:../x', 'hf:a/b@', 'hf:a/b@c@d'])
      expect(() => parseHubModel(bad), bad).toThrow(ModelLoadError);
  });
});

describe('downloadHubCheckpoint', () => {
  it('should resume a dropped download, check every file, and skip what conversion does not need', async () => {
    const hub = await startHubServer({
      repos: { [REPO]: checkpoint },
      cutOnce: { path: 'model.safetensors', afterBytes: 10_000_000 },
    });
    const directory = join(root, 'hub-resume');
    try {
      const first = downloadHubCheckpoint({ repo: REPO, revision: 'main' }, { hubUrl: hub.url, directory });
      await expect(first).rejects.toThrow(
        /model\.safetensors failed .*running the same command again resumes it/,
      );
      const events: DownloadProgressEvent[] = [];
      const done = await downloadHubCheckpoint(
        { repo: REPO, revision: 'main' },
        { hubUrl: hub.url, directory, onProgress: (event) => events.push(event) },
      );
      expect(done.commit).toBe(hub.commitOf(REPO));
      expect(done.directory).toBe(join(directory, 'OpenGVLab--InternVL2_5-Tiny', done.commit));
      sameFiles(done.directory);
      expect(existsSync(join(done.directory, 'README.md'))).toBe(false);
      expect(existsSync(join(done.directory, 'examples'))).toBe(false);
      // The second attempt asked only for the bytes after those that had arrived (the server sent
      // 10 MB before dropping the connection; what was in flight is lost).
      const weightRanges = hub.requests
        .filter((r) => r.url.endsWith('/model.safetensors') && r.range !== 'bytes=0-0')
        .map((r) => r.range);
      const resumedAt = Number(weightRanges.at(-1)!.match(/^bytes=(\d+)-/)![1]);
      expect(resumedAt).toBeGreaterThan(5_000_000);
      expect(resumedAt).toBeLessThanOrEqual(10_000_000);
      // Progress: aggregate over all files, starting from the resumed bytes, ending at the total.
      expect(events[0]!.loadedBytes).toBeGreaterThanOrEqual(resumedAt);
      expect(events.at(-1)!.loadedBytes).toBe(events.at(-1)!.totalBytes);
      expect(events.at(-1)!.totalBytes).toBe(done.bytes);
      for (let i = 1; i < events.length; i++)
        expect(events[i]!.loadedBytes).toBeGreaterThanOrEqual(events[i - 1]!.loadedBytes);

      // Again: the revision is looked up, nothing is downloaded.
      const before = hub.requests.length;
      await downloadHubCheckpoint({ repo: REPO, revision: 'main' }, { hubUrl: hub.url, directory });
      expect(hub.requests.slice(before).map((r) => r.url)).toEqual([`/api/models/${REPO}/revision/main`]);
      // Pinned to the commit: no request at all.
      const pinned = await downloadHubCheckpoint(
        { repo: REPO, revision: done.commit },
        { hubUrl: hub.url, directory },
      );
      expect(pinned.directory).toBe(done.directory);
      expect(hub.requests.length).toBe(before + 1);
    } finally {
      await hub.close();
    }
    // Offline: the commit `main` named last time.
    const offline = await downloadHubCheckpoint(
      { repo: REPO, revision: 'main' },
      { hubUrl: hub.url, directory },
    );
    sameFiles(offline.directory);
  }, 120_000);

  it('should refuse a file whose bytes do not match the Hub hash, and remove it', async () => {
    const hub = await startHubServer({ repos: { [REPO]: checkpoint } });
    const directory = join(root, 'hub-tampered');
    try {
      const commit = hub.commitOf(REPO);
      // A partial file from an earlier run whose bytes were changed on disk.
      const partial = join(directory, 'OpenGVLab--InternVL2_5-Tiny', `${commit}.partial`);
      mkdirSync(partial, { recursive: true });
      writeFileSync(join(partial, 'config.json.incomplete'), Buffer.alloc(100, 32));
      const attempt = downloadHubCheckpoint({ repo: REPO, revision: 'main' }, { hubUrl: hub.url, directory });
      await expect(attempt).rejects.toThrow(/config\.json does not match the Hub's hash/);
      expect(existsSync(join(partial, 'config.json.incomplete'))).toBe(false);
      sameFiles(
        (await downloadHubCheckpoint({ repo: REPO, revision: 'main' }, { hubUrl: hub.url, directory }))
          .directory,
      );
    } finally {
      await hub.close();
    }
  }, 60_000);

  it('should say what to do for a gated model, an unknown one and an unreachable Hub', async () => {
    const hub = await startHubServer({ repos: { [REPO]: checkpoint }, token: 'hf_test_token' });
    const directory = join(root, 'hub-gated');
    try {
      const anonymous = downloadHubCheckpoint(
        { repo: REPO, revision: 'main' },
        { hubUrl: hub.url, directory },
      );
      await expect(anonymous).rejects.toThrow(/HTTP 401.*set HF_TOKEN/);
      const unknown = downloadHubCheckpoint(
        { repo: 'OpenGVLab/NoSuchModel', revision: 'main' },
        { hubUrl: hub.url, directory, accessToken: 'hf_test_token' },
      );
      await expect(unknown).rejects.toThrow(/no such model or revision/);
      const withToken = await downloadHubCheckpoint(
        { repo: REPO, revision: 'main' },
        { hubUrl: hub.url, directory, accessToken: 'hf_test_token' },
      );
      sameFiles(withToken.directory);
    } finally {
      await hub.close();
    }
    const down = downloadHubCheckpoint(
      { repo: 'OpenGVLab/Other', revision: 'main' },
      { hubUrl: hub.url, directory },
    );
    await expect(down).rejects.toThrow(/could not be reached .*HF_ENDPOINT/);
  }, 60_000);
});

describe('createRuntime with an hf: model', () => {
  it('should download, convert once, answer as the local model does, and be listed and removed', async () => {
    const hub = await startHubServer({ repos: { [REPO]: checkpoint } });
    const hubDirectory = join(root, 'hub-runtime');
    const convertedDirectory = join(root, 'converted');
    const directories = { hubDirectory, convertedDirectory };
    const ask = [{ role: 'user' as const, content: 'Hello' }];
    try {
      const kinds = new Set<string>();
      const remote = await createRuntime({
        model: `hf:${REPO}`,
        backend: createNodeBackend(),
        hub: { hubUrl: hub.url, directory: hubDirectory },
        cacheDirectory: convertedDirectory,
        onProgress: (event) => kinds.add(event.type),
      });
      const local = await createRuntime({ model: localModel, backend: createNodeBackend() });
      try {
        expect([...kinds].sort()).toEqual(['convert', 'download', 'load']);
        const [a, b] = [
          await remote.chat(ask, { maxNewTokens: 6 }).result(),
          await local.chat(ask, { maxNewTokens: 6 }).result(),
        ];
        expect(a.samples[0]!.tokenIds).toEqual(b.samples[0]!.tokenIds);
      } finally {
        await remote.dispose();
        await local.dispose();
      }
      const listed = await listCachedModels(directories);
      expect(listed.map((m) => [m.kind, m.repo, m.commit])).toEqual([
        ['checkpoint', REPO, hub.commitOf(REPO)],
        ['converted', REPO, hub.commitOf(REPO)],
      ]);
      expect(listed.every((m) => m.bytes > 1_000_000)).toBe(true);
      expect(listed[1]!.dtype).toBe('fp32');
      await expect(removeCachedModels('OpenGVLab/Unknown', directories)).rejects.toThrow(
        /Nothing cached matches/,
      );
      const removed = await removeCachedModels(REPO, directories);
      expect(removed).toHaveLength(2);
      expect(await listCachedModels(directories)).toEqual([]);
    } finally {
      await hub.close();
    }
  }, 240_000);
});
