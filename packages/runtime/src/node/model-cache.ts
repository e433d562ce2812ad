import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { InvalidArgumentError } from '@ivl/core';
import { CONVERSION_SOURCE_FILE, defaultCacheDirectory } from './conversion-cache.js';
import { defaultHubDirectory } from './hub-checkpoint.js';

/** One entry of ivl's caches: a downloaded Hub checkpoint, or a converted model. */
export interface CachedModel {
  readonly kind: 'checkpoint' | 'converted';
  /** `owner/name@<commit>` for a checkpoint; the cache key for a converted model. */
  readonly id: string;
  readonly path: string;
  readonly bytes: number;
  /** The Hub repository it is (a checkpoint) or was converted from (when that was a Hub download). */
  readonly repo?: string;
  readonly commit?: string;
  /** A converted model's weights. */
  readonly dtype?: string;
  /** The checkpoint directory a converted model was made from. */
  readonly source?: string;
}

/** Where the caches are. @default the XDG cache folders of {@link defaultHubDirectory} and {@link defaultCacheDirectory} */
export interface ModelCacheDirectories {
  readonly hubDirectory?: string;
  readonly convertedDirectory?: string;
}

async function directoryBytes(path: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(path, { withFileTypes: true }).catch(() => [])) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) total += await directoryBytes(child);
    else if (entry.isFile()) total += (await stat(child)).size;
  }
  return total;
}

async function subdirectories(path: string): Promise<string[]> {
  return (await readdir(path, { withFileTypes: true }).catch(() => []))
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

/** The Hub snapshot a path lies in, when it does: `{ repo, commit }`. */
function hubSnapshotOf(hubDirectory: string, path: string) {
  const inside = relative(hubDirectory, path);
  if (inside.startsWith('..') || inside === '') return undefined;
  const [folder, commit] = inside.split(sep);
  if (!folder?.includes('--') || !commit || !/^[0-9a-f]{40}$/.test(commit)) return undefined;
  return { repo: folder.replace('--', '/'), commit };
}

/** Every complete Hub checkpoint and converted model in ivl's caches, with its size on disk. */
export async function listCachedModels(directories: ModelCacheDirectories = {}): Promise<CachedModel[]> {
  const hubDirectory = directories.hubDirectory ?? defaultHubDirectory();
  const convertedDirectory = directories.convertedDirectory ?? defaultCacheDirectory();
  const models: CachedModel[] = [];
  for (const folder of await subdirectories(hubDirectory)) {
    for (const commit of await subdirectories(join(hubDirectory, folder))) {
      const path = join(hubDirectory, folder, commit);
      const snapshot = hubSnapshotOf(hubDirectory, path);
      if (!snapshot) continue; // `<commit>.partial` (a download under way or stopped) and `refs`
      models.push({
        kind: 'checkpoint',
        id: `${snapshot.repo}@${commit}`,
        path,
        bytes: await directoryBytes(path),
        ...snapshot,
      });
    }
  }
  for (const key of await subdirectories(convertedDirectory)) {
    const path = join(convertedDirectory, key);
    const source = await readFile(join(path, CONVERSION_SOURCE_FILE), 'utf8')
      .then((text) => JSON.parse(text) as { checkpoint?: string; dtype?: string })
      .catch(() => undefined);
    if (!source?.checkpoint) continue; // an interrupted conversion, done again on next use
    const snapshot = hubSnapshotOf(hubDirectory, source.checkpoint);
    models.push({
      kind: 'converted',
      id: key,
      path,
      bytes: await directoryBytes(path),
      source: source.checkpoint,
      ...(source.dtype && { dtype: source.dtype }),
      ...snapshot,
    });
  }
  return models;
}

/**
 * Removes cached models: `owner/name` (every snapshot of it and every model converted from one),
 * `owner/name@<commit>` (that snapshot and its conversions), or a converted model's key. Returns
 * what was removed.
 *
 * @throws {InvalidArgumentError} when nothing cached matches
 */
export async function removeCachedModels(
  selector: string,
  directories: ModelCacheDirectories = {},
): Promise<CachedModel[]> {
  const wanted = selector.startsWith('hf:') ? selector.slice(3) : selector;
  const [repo, commit] = wanted.split('@');
  const matches = (await listCachedModels(directories)).filter((model) =>
    model.id === wanted ? true : model.repo === repo && (commit === undefined || model.commit === commit),
  );
  if (matches.length === 0) {
    throw new InvalidArgumentError({
      argument: 'model',
      message: `Nothing cached matches "${selector}": expected owner/name, owner/name@<commit> or a converted model's id, as \`ivl models\` lists them.`,
    });
  }
  for (const model of matches) await rm(model.path, { recursive: true, force: true });
  return matches;
}
