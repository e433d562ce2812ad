import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ModelStore } from '../model-store.js';

/** A model store over a directory on disk. */
export function modelStoreFromDirectory(directory: string): ModelStore {
  return {
    location: directory,
    async readText(file) {
      return readFile(join(directory, file), 'utf8').catch(() => undefined);
    },
    modelSource: (file) => join(directory, file),
    async sizeOf(file) {
      const path = join(directory, file);
      const base = path
        .split('/')
        .pop()!
        .replace(/\.onnx$/, '');
      const names = await readdir(dirname(path)).catch(() => [] as string[]);
      let total = 0;
      for (const name of names.filter((n) => n === `${base}.onnx` || n.startsWith(`${base}.onnx_data`)))
        total += (await stat(join(dirname(path), name))).size;
      return total || undefined;
    },
  };
}
