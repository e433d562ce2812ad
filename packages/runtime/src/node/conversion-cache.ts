import { createHash } from 'node:crypto';
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { MODEL_FORMAT_VERSION, type ModelDtype, ModelLoadError } from '@ivl/core';

/** `$XDG_CACHE_HOME/ivl`, else `~/.cache/ivl`: where ivl's caches live. */
export function ivlCacheRoot(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'ivl');
}

/** `$XDG_CACHE_HOME/ivl/converted`, else `~/.cache/ivl/converted`. */
export function defaultCacheDirectory(): string {
  return join(ivlCacheRoot(), 'converted');
}

// Beside each converted model: which checkpoint it came from, to replace it when that changes.
export const CONVERSION_SOURCE_FILE = 'ivl-cache-source.json';

/**
 * The cache key of a conversion: the checkpoint's content as far as it can be known without
 * reading the weights (name, size and mtime of every file in it), the converter's version and
 * the model format it writes, and the options. New weights under an untouched config.json, or a
 * newer converter, give a new key.
 */
export async function conversionKey(
  checkpoint: string,
  options: { dtype: ModelDtype; converterVersion: string },
): Promise<string> {
  const names = (await readdir(checkpoint, { withFileTypes: true }))
    .filter((entry) => entry.isFile())
    .map((entry) => entry.name)
    .sort();
  const files = await Promise.all(
    names.map(async (name) => {
      const info = await stat(join(checkpoint, name));
      return [name, info.size, info.mtimeMs];
    }),
  );
  return createHash('sha256')
    .update(
      JSON.stringify({
        files,
        dtype: options.dtype,
        converter: options.converterVersion,
        format: MODEL_FORMAT_VERSION,
      }),
    )
    .digest('hex')
    .slice(0, 24);
}

/**
 * The converted model directory of a Hugging Face checkpoint: from the cache when its key
 * matches, else converted now (and the entries an older state of the same checkpoint left, for
 * the same dtype, removed), so the cache holds one conversion per checkpoint and dtype.
 */
export async function convertedCheckpoint(
  checkpoint: string,
  options: {
    cacheDirectory: string;
    dtype: ModelDtype;
    signal?: AbortSignal;
    onProgress?: (event: { stage: string; fraction: number }) => void;
  },
): Promise<string> {
  const convert = await importConverter(checkpoint);
  const key = await conversionKey(checkpoint, { dtype: options.dtype, converterVersion: convert.VERSION });
  const target = join(options.cacheDirectory, key);
  const ready = await stat(join(target, CONVERSION_SOURCE_FILE)).then(
    () => true,
    () => false,
  );
  if (ready) return target;
  // Conversions killed in this cache (under any key) left temporary folders: their processes are gone.
  await convert.removeStaleTemporaries(options.cacheDirectory);
  await convert.convertCheckpoint(checkpoint, target, {
    dtype: options.dtype,
    overwrite: true,
    ...(options.signal && { signal: options.signal }),
    ...(options.onProgress && { onProgress: options.onProgress }),
  });
  // Written last: an entry without it is an interrupted conversion, done again next time.
  await writeFile(join(target, CONVERSION_SOURCE_FILE), JSON.stringify({ checkpoint, dtype: options.dtype }));
  await removeStaleEntries(options.cacheDirectory, key, checkpoint, options.dtype);
  return target;
}

/**
 * `@ivl/convert` is an optional peer: only a first load of a Hugging Face checkpoint needs it, and
 * browsers never do. Its absence is said as what to install.
 */
async function importConverter(checkpoint: string): Promise<typeof import('@ivl/convert')> {
  try {
    return await import('@ivl/convert');
  } catch (cause) {
    const code = (cause as { code?: string }).code;
    if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') throw cause;
    throw new ModelLoadError({
      path: checkpoint,
      message: `${checkpoint} is a Hugging Face checkpoint, which must be converted once, and the converter is not installed. Install it with \`npm i @ivl/convert\`, or pass an ivl model directory (made by \`ivl convert\`).`,
      cause,
    });
  }
}

async function removeStaleEntries(
  cacheDirectory: string,
  keep: string,
  checkpoint: string,
  dtype: ModelDtype,
) {
  for (const entry of await readdir(cacheDirectory, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name === keep) continue;
    const source = await readFile(join(cacheDirectory, entry.name, CONVERSION_SOURCE_FILE), 'utf8')
      .then((text) => JSON.parse(text) as { checkpoint?: string; dtype?: string })
      .catch(() => undefined);
    if (source?.checkpoint === checkpoint && source.dtype === dtype) {
      await rm(join(cacheDirectory, entry.name), { recursive: true, force: true });
    }
  }
}
