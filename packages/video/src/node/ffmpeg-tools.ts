import { type ChildProcess, spawn } from 'node:child_process';
import { basename, dirname, join } from 'node:path';
import { AbortedError, DependencyMissingError, VideoDecodeError } from '@ivl/core';

/** Where the ffmpeg programs are. */
export interface FfmpegOptions {
  /** The ffmpeg binary. @default process.env.IVL_FFMPEG ?? 'ffmpeg' (the system one on PATH) */
  readonly ffmpegPath?: string;
  /** The ffprobe binary. @default next to `ffmpegPath`, else process.env.IVL_FFPROBE ?? 'ffprobe' */
  readonly ffprobePath?: string;
  readonly signal?: AbortSignal;
}

/** @internal */
export function resolveTools(options: FfmpegOptions): { ffmpeg: string; ffprobe: string } {
  const ffmpeg = options.ffmpegPath ?? process.env.IVL_FFMPEG ?? 'ffmpeg';
  const sibling = ffmpeg.includes('/')
    ? join(dirname(ffmpeg), basename(ffmpeg).replace('ffmpeg', 'ffprobe'))
    : undefined;
  const ffprobe = options.ffprobePath ?? process.env.IVL_FFPROBE ?? sibling ?? 'ffprobe';
  return { ffmpeg, ffprobe };
}

/** @internal A child process that is killed when `signal` aborts; spawn failures become typed errors. */
export function spawnTool(program: string, args: readonly string[], signal?: AbortSignal): ChildProcess {
  const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const onAbort = () => child.kill('SIGKILL');
  signal?.addEventListener('abort', onAbort, { once: true });
  child.once('close', () => signal?.removeEventListener('abort', onAbort));
  return child;
}

/** @internal Converts a spawn error into the error users should see. */
export function toolError(program: string, error: unknown, signal?: AbortSignal): Error {
  if (signal?.aborted) return new AbortedError({ cause: signal.reason });
  if ((error as NodeJS.ErrnoException)?.code === 'ENOENT') {
    return new DependencyMissingError({
      dependency: basename(program),
      message:
        `\`${program}\` was not found. Install ffmpeg (e.g. apt-get install -y ffmpeg) or pass ` +
        '`ffmpegPath`/`ffprobePath` (or set IVL_FFMPEG/IVL_FFPROBE).',
      cause: error,
    });
  }
  return new VideoDecodeError({
    source: program,
    message: `Could not run ${program}: ${error instanceof Error ? error.message : String(error)}.`,
    cause: error,
  });
}

/** @internal Runs a tool to completion and returns its stdout. */
export function runTool(
  program: string,
  args: readonly string[],
  signal?: AbortSignal,
): Promise<{ stdout: Buffer; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawnTool(program, args, signal);
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('error', (error) => reject(toolError(program, error, signal)));
    child.once('close', (code) => {
      if (signal?.aborted) reject(new AbortedError({ cause: signal.reason }));
      else resolve({ stdout: Buffer.concat(out), stderr, code });
    });
  });
}
