import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ModelLoadError, partSource } from '@ivl/core';
import { type ModelStore, sizeMismatch } from '../model-store.js';

/**
 * A model store over a directory on disk. The backend reads the files itself, by path; each one
 * is checked first to lie inside the directory and to have the manifest's size.
 */
export function modelStoreFromDirectory(directory: string): ModelStore {
  const root = resolve(directory);
  const inside = (file: string) => {
    const path = resolve(root, file);
    const rel = relative(root, path);
    if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
      throw new ModelLoadError({
        path,
        message: `${file} points outside the model directory ${root}. An ivl.json names files inside its own directory only.`,
      });
    }
    return path;
  };
  return {
    location: directory,
    async readText(file) {
      return readFile(inside(file), 'utf8').catch(() => undefined);
    },
    async partSource(files) {
      for (const file of [files.onnx, ...files.externalData]) {
        const size = await stat(inside(file.path)).then(
          (info) => (info.isFile() ? info.size : undefined),
          () => undefined,
        );
        if (size !== file.bytes) throw sizeMismatch(directory, file, size);
      }
      return partSource(files, (file) => join(root, file.path));
    },
  };
}
