import { type ModelFile, ModelLoadError, type ModelPartFiles, type ModelSource, partSource } from '@ivl/core';

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
  const response = await fetch(url, { ...(options.signal && { signal: options.signal }) }).catch(
    (error: unknown) => {
      throw new ModelLoadError({
        path: url,
        message: `Could not fetch ${url}: ${error instanceof Error ? error.message : String(error)}. Is the model served at ${location}?`,
        cause: error,
      });
    },
  );
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

/** A store over a base URL (`https://…/internvl2_5-1b/`), fetching files as needed, with progress. */
export function modelStoreFromUrl(baseUrl: string): ModelStore {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  return {
    location: base,
    async readText(file) {
      const response = await fetch(base + file);
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
        fetched.set(file, await download(base + file.path, file, base, options, report));
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
