import { readdir, realpath, rm, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { CheckpointError, InvalidArgumentError } from '@ivl/core';

/** Where a conversion is written before it is renamed into place: `.<out>.tmp-<pid>-<time>`. */
export function temporaryName(outputDirectory: string): string {
  // The counter keeps two names taken in one millisecond apart.
  return join(
    dirname(outputDirectory),
    `.${basename(outputDirectory)}.tmp-${process.pid}-${Date.now()}${++taken}`,
  );
}
let taken = 0;

const TEMPORARY = /^\.(.+)\.tmp-(\d+)-\d+$/;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temporary folders that killed conversions left in `directory` (their process is
 * gone): for one output name only, or for every output when `outputName` is omitted.
 * @returns the folders removed
 */
export async function removeStaleTemporaries(directory: string, outputName?: string): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(directory).catch(() => [] as string[])) {
    const match = TEMPORARY.exec(name);
    if (!match || (outputName !== undefined && match[1] !== outputName)) continue;
    if (Number(match[2]) === process.pid || isAlive(Number(match[2]))) continue;
    await rm(join(directory, name), { recursive: true, force: true });
    removed.push(join(directory, name));
  }
  return removed;
}

/** The real path of `path`, through its deepest existing ancestor (the rest need not exist). */
async function realPathOf(path: string): Promise<string> {
  const absolute = resolve(path);
  try {
    return await realpath(absolute);
  } catch {
    const parent = dirname(absolute);
    return parent === absolute ? absolute : join(await realPathOf(parent), basename(absolute));
  }
}

const within = (outer: string, inner: string) => {
  const rel = relative(outer, inner);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
};

/**
 * Checks, before any work, that writing `output` cannot destroy `input`: the output may not be
 * the input, hold it, or lie inside it (symbolic links followed). An existing output is replaced
 * only with `overwrite`, and only when it is an earlier output (it holds `ivl.json`) or empty.
 *
 * @returns whether the output exists (and will be replaced)
 * @throws {InvalidArgumentError} for an output that is, holds or lies inside the input, or an
 *   existing folder that is not an ivl model directory
 * @throws {CheckpointError} for an existing output without `overwrite`
 */
export async function checkOutputDirectory(
  input: string,
  output: string,
  overwrite: boolean,
): Promise<boolean> {
  const [realInput, realOutput] = await Promise.all([realPathOf(input), realPathOf(output)]);
  if (within(realInput, realOutput) || within(realOutput, realInput)) {
    const how = realInput === realOutput ? 'is' : within(realOutput, realInput) ? 'holds' : 'lies inside';
    throw new InvalidArgumentError({
      argument: 'outputDirectory',
      message: `The output ${output} ${how} the checkpoint ${input}; writing it would destroy the checkpoint. Choose an output folder outside the checkpoint (e.g. ${join(dirname(realInput), `${basename(realInput)}-ivl`)}).`,
    });
  }
  const info = await stat(realOutput).catch(() => undefined);
  if (!info) return false;
  if (!overwrite) {
    throw new CheckpointError({
      path: output,
      message: `${output} already exists. Pass overwrite: true (--force) to replace it.`,
    });
  }
  const entries = info.isDirectory() ? await readdir(realOutput) : undefined;
  if (!entries || (entries.length > 0 && !entries.includes('ivl.json'))) {
    throw new InvalidArgumentError({
      argument: 'outputDirectory',
      message: `${output} exists and is not an ivl model directory (no ivl.json), so it is not replaced even with --force: it may hold your files. Remove it yourself, or choose another output folder.`,
    });
  }
  return true;
}
