import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { downloadFile, type ListFileEntry, listFiles, modelInfo } from '@huggingface/hub';
import { AbortedError, ModelLoadError, throwIfAborted } from '@ivl/core';
import { ivlCacheRoot } from './conversion-cache.js';

/** A model on the Hugging Face Hub: `hf:OpenGVLab/InternVL2_5-1B`, or pinned, `hf:OpenGVLab/InternVL2_5-1B@<revision>`. */
export interface HubModelReference {
  /** `owner/name`. */
  readonly repo: string;
  /** A branch, tag or commit. @default 'main' */
  readonly revision: string;
}

const HUB_PREFIX = 'hf:';
const REPO_NAME = /^[A-Za-z0-9][\w.-]{0,95}\/[A-Za-z0-9][\w.-]{0,95}$/;
const COMMIT = /^[0-9a-f]{40}$/;

/** The reference a `model` option names, when it starts with `hf:`; else undefined (a local path). */
export function parseHubModel(model: string): HubModelReference | undefined {
  if (!model.startsWith(HUB_PREFIX)) return undefined;
  const [repo = '', revision = 'main', ...rest] = model.slice(HUB_PREFIX.length).split('@');
  if (!REPO_NAME.test(repo) || repo.includes('..') || !revision || rest.length > 0) {
    throw new ModelLoadError({
      path: model,
      message: `"${model}" is not a Hub model id: expected hf:<owner>/<name> or hf:<owner>/<name>@<revision>, e.g. hf:OpenGVLab/InternVL2_5-1B.`,
    });
  }
  return { repo, revision };
}

/** `$XDG_CACHE_HOME/ivl/hub`, else `~/.cache/ivl/hub`. */
export function defaultHubDirectory(): string {
  return join(ivlCacheRoot(), 'hub');
}

/** Where one repository's snapshots live: `<hub>/<owner>--<name>`. */
export function hubRepoDirectory(hubDirectory: string, repo: string): string {
  return join(hubDirectory, repo.replace('/', '--'));
}

/** Bytes downloaded so far over all files of the checkpoint (resumed bytes count as loaded). */
export interface DownloadProgressEvent {
  readonly type: 'download';
  readonly file: string;
  readonly loadedBytes: number;
  readonly totalBytes: number;
}

/** Options of {@link downloadHubCheckpoint}. */
export interface HubDownloadOptions {
  /** @default $HF_ENDPOINT, else https://huggingface.co */
  readonly hubUrl?: string;
  /** For gated and private models. @default $HF_TOKEN */
  readonly accessToken?: string;
  /** @default {@link defaultHubDirectory} */
  readonly directory?: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: (event: DownloadProgressEvent) => void;
}

/** A downloaded checkpoint: the folder to convert and the commit it is. */
export interface HubCheckpoint {
  readonly directory: string;
  readonly repo: string;
  readonly commit: string;
  readonly bytes: number;
}

// What conversion reads: the config, weights and tokenizer files at the top level. Examples,
// pictures and remote code are left on the Hub.
const NEEDED = /^[^/]+\.(json|safetensors|txt|model|tiktoken|jinja)$/;
const COMPLETE_FILE = '.ivl-snapshot.json';

interface SnapshotRecord {
  readonly repo: string;
  readonly commit: string;
  readonly files: readonly { readonly path: string; readonly bytes: number }[];
}

/**
 * Downloads the files of a Hub checkpoint that conversion needs, at one commit, into
 * `<directory>/<owner>--<name>/<commit>`: resumable (a partial file continues where it stopped),
 * each file checked against the Hub's size and hash (sha256 for LFS files, the git blob hash for
 * the others), the snapshot renamed into place only when complete. A commit already complete
 * here makes no request; a branch or tag is resolved to its commit on the Hub, falling back to
 * the commit it named last time when the Hub cannot be reached.
 *
 * @throws {ModelLoadError} for an unknown, gated or unreachable model, or a file that fails its check
 */
export async function downloadHubCheckpoint(
  reference: HubModelReference,
  options: HubDownloadOptions = {},
): Promise<HubCheckpoint> {
  const hubUrl = (options.hubUrl ?? process.env.HF_ENDPOINT ?? 'https://huggingface.co').replace(/\/+$/, '');
  const accessToken = options.accessToken ?? (process.env.HF_TOKEN || undefined);
  const repoDirectory = hubRepoDirectory(options.directory ?? defaultHubDirectory(), reference.repo);
  const { signal } = options;
  const credentials: HubRequestSettings = {
    hubUrl,
    ...(accessToken && { accessToken }),
    fetch: (input: string | URL | Request, init?: RequestInit) =>
      fetch(input, { ...init, ...(signal && { signal }) }),
  };
  const refFile = join(repoDirectory, 'refs', reference.revision);

  if (COMMIT.test(reference.revision)) {
    const ready = await completeSnapshot(repoDirectory, reference.repo, reference.revision);
    if (ready) return ready;
  }
  let commit: string;
  try {
    commit = (
      await modelInfo({
        name: reference.repo,
        revision: reference.revision,
        additionalFields: ['sha'],
        ...credentials,
      })
    ).sha;
  } catch (error) {
    throwIfAborted(signal);
    // Offline, or the Hub is down: the commit this revision named last time, when complete here.
    const known = await readFile(refFile, 'utf8').catch(() => undefined);
    const ready = known && (await completeSnapshot(repoDirectory, reference.repo, known.trim()));
    if (ready && !isHttpError(error)) return ready;
    throw hubError(reference, hubUrl, error);
  }
  const ready = await completeSnapshot(repoDirectory, reference.repo, commit);
  if (ready) {
    await writeRef(refFile, commit, reference.revision);
    return ready;
  }

  const entries: ListFileEntry[] = [];
  try {
    for await (const entry of listFiles({
      repo: reference.repo,
      revision: commit,
      recursive: true,
      ...credentials,
    })) {
      if (entry.type === 'file' && NEEDED.test(entry.path)) entries.push(entry);
    }
  } catch (error) {
    throwIfAborted(signal);
    throw hubError(reference, hubUrl, error);
  }
  if (!entries.some((entry) => entry.path === 'config.json')) {
    throw new ModelLoadError({
      path: `${HUB_PREFIX}${reference.repo}@${commit}`,
      message: `${reference.repo} at ${commit.slice(0, 12)} has no config.json at its top level: it is not a Hugging Face model checkpoint.`,
    });
  }

  const staging = join(repoDirectory, `${commit}.partial`);
  const totalBytes = entries.reduce((sum, entry) => sum + fileSize(entry), 0);
  let loadedBytes = 0;
  for (const entry of entries) {
    const target = join(staging, entry.path);
    const done = await stat(target).then(
      (info) => info.size === fileSize(entry),
      () => false,
    );
    if (done) {
      loadedBytes += fileSize(entry);
      continue;
    }
    await downloadOne(reference, commit, entry, target, credentials, {
      ...(signal && { signal }),
      onBytes: (bytes) => {
        loadedBytes += bytes;
        options.onProgress?.({ type: 'download', file: entry.path, loadedBytes, totalBytes });
      },
    });
  }
  const record: SnapshotRecord = {
    repo: reference.repo,
    commit,
    files: entries.map((entry) => ({ path: entry.path, bytes: fileSize(entry) })),
  };
  await writeFile(join(staging, COMPLETE_FILE), JSON.stringify(record, null, 2));
  const final = join(repoDirectory, commit);
  await rm(final, { recursive: true, force: true });
  await rename(staging, final);
  await writeRef(refFile, commit, reference.revision);
  return { directory: final, repo: reference.repo, commit, bytes: totalBytes };
}

/** What every request to the Hub carries. */
interface HubRequestSettings {
  readonly hubUrl: string;
  readonly accessToken?: string;
  readonly fetch: typeof fetch;
}

const fileSize = (entry: ListFileEntry) => entry.lfs?.size ?? entry.size;

async function writeRef(refFile: string, commit: string, revision: string) {
  if (revision === commit) return;
  await mkdir(dirname(refFile), { recursive: true });
  await writeFile(refFile, commit);
}

async function completeSnapshot(repoDirectory: string, repo: string, commit: string) {
  const directory = join(repoDirectory, commit);
  const record = await readFile(join(directory, COMPLETE_FILE), 'utf8')
    .then((text) => JSON.parse(text) as SnapshotRecord)
    .catch(() => undefined);
  if (!record || record.commit !== commit) return undefined;
  const bytes = record.files.reduce((sum, file) => sum + file.bytes, 0);
  return { directory, repo, commit, bytes } satisfies HubCheckpoint;
}

/**
 * The hash the Hub states for a file: sha256 of the content for LFS files, else git's blob hash
 * (sha1 of `blob <size>\0` + content).
 */
function expectedHash(entry: ListFileEntry): { hash: Hash; expected: string } | undefined {
  if (entry.lfs) return { hash: createHash('sha256'), expected: entry.lfs.oid };
  if (entry.oid && /^[0-9a-f]{40}$/.test(entry.oid)) {
    const hash = createHash('sha1').update(`blob ${entry.size}\0`);
    return { hash, expected: entry.oid };
  }
  return undefined;
}

async function downloadOne(
  reference: HubModelReference,
  commit: string,
  entry: ListFileEntry,
  target: string,
  credentials: HubRequestSettings,
  options: { signal?: AbortSignal; onBytes: (bytes: number) => void },
) {
  const size = fileSize(entry);
  const partial = `${target}.incomplete`;
  await mkdir(dirname(target), { recursive: true });
  let offset = await stat(partial).then(
    (info) => info.size,
    () => 0,
  );
  if (offset > size) {
    await rm(partial, { force: true });
    offset = 0;
  }
  const check = expectedHash(entry);
  // A resumed file's hash covers the bytes already here, read back once.
  if (check && offset > 0) {
    for await (const chunk of createReadStream(partial)) check.hash.update(chunk as Buffer);
  }
  if (offset > 0) options.onBytes(offset);
  const where = `${HUB_PREFIX}${reference.repo}@${commit.slice(0, 12)}/${entry.path}`;
  try {
    if (offset < size) {
      const blob = await downloadFile({
        repo: reference.repo,
        path: entry.path,
        revision: commit,
        ...credentials,
      });
      if (!blob) throw new Error('the Hub says the file does not exist');
      if (blob.size !== size) throw new Error(`the Hub lists ${size} bytes but serves ${blob.size}`);
      let received = offset;
      await pipeline(
        Readable.fromWeb(blob.slice(offset).stream() as import('node:stream/web').ReadableStream),
        new Transform({
          transform(chunk: Buffer, _encoding, callback) {
            received += chunk.length;
            if (received > size) {
              callback(new Error(`more than the ${size} bytes the Hub lists`));
              return;
            }
            check?.hash.update(chunk);
            options.onBytes(chunk.length);
            callback(null, chunk);
          },
        }),
        createWriteStream(partial, { flags: offset > 0 ? 'a' : 'w' }),
        ...(options.signal ? [{ signal: options.signal }] : []),
      );
      if (received !== size) throw new Error(`the download ended after ${received} of ${size} bytes`);
    }
  } catch (cause) {
    if (options.signal?.aborted) throw new AbortedError({ cause: options.signal.reason });
    throw new ModelLoadError({
      path: where,
      message: `Downloading ${where} failed (${cause instanceof Error ? cause.message : String(cause)}); what arrived is kept, and running the same command again resumes it.`,
      cause,
    });
  }
  const actual = check?.hash.digest('hex');
  if (check && actual !== check.expected) {
    await rm(partial, { force: true });
    throw new ModelLoadError({
      path: where,
      message: `${where} does not match the Hub's hash (expected ${check.expected}, got ${actual}); the file was removed, run again to download it anew.`,
    });
  }
  await rename(partial, target);
}

const isHttpError = (error: unknown) => typeof (error as { statusCode?: unknown })?.statusCode === 'number';

function hubError(reference: HubModelReference, hubUrl: string, error: unknown): ModelLoadError {
  const id = `${HUB_PREFIX}${reference.repo}@${reference.revision}`;
  const status = (error as { statusCode?: number }).statusCode;
  const detail = error instanceof Error ? error.message : String(error);
  const message =
    status === 401 || status === 403
      ? `${id}: the Hub (${hubUrl}) refused access (HTTP ${status}). A gated or private model needs a token: set HF_TOKEN to one that may read it.`
      : status === 404
        ? `${id}: no such model or revision on the Hub (${hubUrl}, HTTP 404). Check the id (owner/name) and the revision.`
        : status !== undefined
          ? `${id}: the Hub (${hubUrl}) answered HTTP ${status}: ${detail}`
          : `${id}: the Hub (${hubUrl}) could not be reached (${detail}), and no complete download of this revision is cached. Check the network, or set HF_ENDPOINT to a mirror.`;
  return new ModelLoadError({ path: id, message, cause: error });
}
