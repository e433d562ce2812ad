import type { ModelSource } from '@ivl/core';

/**
 * Where a model directory's files come from: a folder on disk (Node), a base URL, or files picked
 * by the user (browser). The runtime only reads small JSON files itself; ONNX files are handed to
 * the backend as sources.
 */
export interface ModelStore {
  /** For messages: a path or URL. */
  readonly location: string;
  /** A text file's content, or undefined when the file does not exist. */
  readText(file: string): Promise<string | undefined>;
  /** What to give `backend.createSession` for an ONNX file. */
  modelSource(file: string): ModelSource | Promise<ModelSource>;
  /** Size in bytes of a file and its external data (for progress), when known. */
  sizeOf?(file: string): Promise<number | undefined>;
}

/** A store over a base URL (`https://…/internvl2_5-1b/`), fetching files as needed. */
export function modelStoreFromUrl(baseUrl: string): ModelStore {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  return {
    location: base,
    async readText(file) {
      const response = await fetch(base + file);
      return response.ok ? response.text() : undefined;
    },
    modelSource: (file) => base + file,
    async sizeOf(file) {
      const response = await fetch(base + file, { method: 'HEAD' }).catch(() => undefined);
      const length = response?.headers.get('content-length');
      return length ? Number(length) : undefined;
    },
  };
}

/** A store over files the user picked (e.g. a directory input), keyed by their path in the model directory. */
export function modelStoreFromFiles(files: ReadonlyMap<string, Blob>): ModelStore {
  return {
    location: 'selected files',
    async readText(file) {
      return files.get(file)?.text();
    },
    async modelSource(file) {
      const model = files.get(file);
      if (!model) return file;
      const stem = file.replace(/\.onnx$/, '');
      const externalData = await Promise.all(
        [...files.keys()]
          .filter((name) => name.startsWith(`${stem}.onnx_data`))
          .map(async (name) => ({
            path: name.slice(name.lastIndexOf('/') + 1),
            data: new Uint8Array(await files.get(name)!.arrayBuffer()),
          })),
      );
      return { model: new Uint8Array(await model.arrayBuffer()), externalData };
    },
    async sizeOf(file) {
      const stem = file.replace(/\.onnx$/, '');
      return [...files.entries()]
        .filter(([name]) => name === file || name.startsWith(`${stem}.onnx_data`))
        .reduce((sum, [, blob]) => sum + blob.size, 0);
    },
  };
}
