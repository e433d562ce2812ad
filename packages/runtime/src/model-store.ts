import { type ModelFile, ModelLoadError, type ModelPartFiles, type ModelSource, partSource } from '@ivl/core';
import { sha256Hex } from './content-hash.js';

/** Options of {@link ModelStore.partSource}. */
export interface PartSourceOptions {
  /** Bytes of the part's files read so far (stores that download report as the bytes arrive). */
  readonly onBytes?: (bytes: number) => void;
  readonly signal?: AbortSignal;
}

/**
 * Where a model directory's files come from: a folder on disk (Node), a base URL, or files picked
 * by the user (browser). File names, sizes and hashes come from `ivl.json` alone: a store never
 * guesses or scans for files.
 */
export interface ModelStore {
  /** For messages: a path or URL. */
  readonly location: string;
  /** A small text file (`ivl.json`, tokenizer files), or undefined when it does not exist. */
  readText(file: string): Promise<string | undefined>;
  /**
   * What to give `backend.createSession` for one part: its graph and every external-data file
   * the manifest lists for it.
   * @throws {ModelLoadError} for a listed file that is missing or has another size
   */
  partSource(files: ModelPartFiles, options?: PartSourceOptions): Promise<ModelSource>;
}

/** @internal A listed file whose size differs from the manifest's. */
export function sizeMismatch(location: string, file: ModelFile, actual: number | undefined): ModelLoadError {
  return new ModelLoadError({
    path: `${location}/${file.path}`,
    message:
      actual === undefined
        ? `${location} lacks ${file.path}, which its ivl.json lists (${file.bytes} bytes). Copy the whole model directory, or convert the checkpoint again.`
        : `${location}/${file.path} has ${actual} bytes but ivl.json says ${file.bytes}. The file is incomplete or from another conversion: copy it again, or convert the checkpoint again.`,
  });
}

/** Attempts of one request whose connection fails before the answer (HTTP statuses are not retried). */
const FETCH_ATTEMPTS = 3;

/**
 * `fetch` that tries again, after a short pause, when the connection fails before any answer: a
 * server closing an idle keep-alive socket just as it is reused, or a proxy restarting, is common
 * and harmless to repeat for a GET. An abort ends it at once; a body cut short is not retried here
 * (its bytes were already reported).
 */
async function fetchAnswer(url: string, location: string, signal?: AbortSignal): Promise<Response> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= FETCH_ATTEMPTS; attempt++) {
    signal?.throwIfAborted();
    try {
      return await fetch(url, { ...(signal && { signal }) });
    } catch (error) {
      if (signal?.aborted) throw error;
      lastError = error;
      if (attempt < FETCH_ATTEMPTS) await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
  const reason = lastError instanceof Error ? lastError.message : String(lastError);
  throw new ModelLoadError({
    path: url,
    message: `Could not fetch ${url} after ${FETCH_ATTEMPTS} attempts: ${reason}. Is the model served at ${location}?`,
    cause: lastError,
  });
}

/**
 * Downloads one file with progress, refusing a failed status or a body of another size than the
 * manifest's (a server that answers unknown paths with its index page sends HTML, not weights).
 */
async function download(
  url: string,
  file: ModelFile,
  location: string,
  options: PartSourceOptions,
  report: (bytes: number) => void,
): Promise<Uint8Array> {
  const response = await fetchAnswer(url, location, options.signal);
  if (!response.ok) {
    throw new ModelLoadError({
      path: url,
      message: `Fetching ${url} answered HTTP ${response.status}. Is the model served at ${location}, with every file ivl.json lists?`,
    });
  }
  const bytes = new Uint8Array(file.bytes);
  let received = 0;
  const reader = response.body!.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (received + value.length > file.bytes) {
      await reader.cancel();
      throw sizeMismatch(location, file, received + value.length);
    }
    bytes.set(value, received);
    received += value.length;
    report(value.length);
  }
  if (received !== file.bytes) throw sizeMismatch(location, file, received);
  return bytes;
}

/** Refuses downloaded bytes whose SHA-256 is not the manifest's: they never reach a session or a cache. */
async function verifySha256(bytes: Uint8Array, file: ModelFile, location: string): Promise<void> {
  const actual = await sha256Hex(bytes);
  if (actual !== file.sha256) {
    throw new ModelLoadError({
      path: `${location}${file.path}`,
      message: `${location}${file.path} does not match the SHA-256 in ivl.json (expected ${file.sha256}, got ${actual}): the file is damaged or from another conversion. Copy the model directory again.`,
    });
  }
}

/** Where {@link modelStoreFromUrl} keeps weights between loads (`cacheStorageWeightCache()` in browsers). */
export interface UrlStoreWeightCache {
  get(file: ModelFile): Promise<Uint8Array | undefined>;
  put(file: ModelFile, bytes: Uint8Array): Promise<void>;
}

/**
 * A store over a base URL (`https://…/internvl2_5-1b/`), fetching files as needed, with progress.
 * With a `weightCache`, each weight file is read from it when its SHA-256 (from `ivl.json`) is
 * there, and put there after download: a second load fetches only the small text files.
 */
export function modelStoreFromUrl(
  baseUrl: string,
  options: { weightCache?: UrlStoreWeightCache } = {},
): ModelStore {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  const { weightCache } = options;
  return {
    location: base,
    async readText(file) {
      const response = await fetchAnswer(base + file, base);
      return response.ok ? response.text() : undefined;
    },
    async partSource(files, options = {}) {
      let loaded = 0;
      const report = (bytes: number) => {
        loaded += bytes;
        options.onBytes?.(loaded);
      };
      const fetched = new Map<ModelFile, Uint8Array>();
      for (const file of [files.onnx, ...files.externalData]) {
        const cached = await weightCache?.get(file);
        if (cached) {
          report(cached.byteLength);
          fetched.set(file, cached);
          continue;
        }
        const bytes = await download(base + file.path, file, base, options, report);
        await verifySha256(bytes, file, base);
        // A full or failing cache (private mode, quota) costs the next load a download, not this one.
        await weightCache?.put(file, bytes).catch(() => undefined);
        fetched.set(file, bytes);
      }
      return partSource(files, (file) => fetched.get(file)!);
    },
  };
}

/** A store over files the user picked (e.g. a directory input), keyed by their path in the model directory. */
export function modelStoreFromFiles(files: ReadonlyMap<string, Blob>): ModelStore {
  const location = 'selected files';
  return {
    location,
    async readText(file) {
      return files.get(file)?.text();
    },
    async partSource(part, options = {}) {
      let loaded = 0;
      const read = new Map<ModelFile, Uint8Array>();
      for (const file of [part.onnx, ...part.externalData]) {
        const blob = files.get(file.path);
        if (!blob || blob.size !== file.bytes) throw sizeMismatch(location, file, blob?.size);
        read.set(file, new Uint8Array(await blob.arrayBuffer()));
        loaded += file.bytes;
        options.onBytes?.(loaded);
      }
      return partSource(part, (file) => read.get(file)!);
    },
  };
}
