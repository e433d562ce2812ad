import { AbortedError, InvalidArgumentError, throwIfAborted, VideoDecodeError } from '@ivl/core';
import type { DecodedFrame } from '../video-types.js';
import { type FfmpegOptions, resolveTools, spawnTool, toolError } from './ffmpeg-tools.js';
import { checkFile, probeVideo } from './probe-video.js';

/** Options of {@link decodeFrames}. */
export interface DecodeFramesOptions extends FfmpegOptions {
  /** Stored frame size; probed when omitted. */
  readonly width?: number;
  readonly height?: number;
  /** Frames in the video (a probe's `frameCount`), to refuse indices past the end before decoding. */
  readonly frameCount?: number;
}

/**
 * `eq(n,a)+eq(n,b)+…` as a balanced sum: ffmpeg's expression parser nests each `+`, and a flat
 * chain of more than about 100 terms is too deep for it.
 */
function selectExpression(indices: readonly number[]): string {
  if (indices.length === 1) return `eq(n\\,${indices[0]})`;
  const middle = indices.length >> 1;
  return `(${selectExpression(indices.slice(0, middle))}+${selectExpression(indices.slice(middle))})`;
}

function checkIndices(indices: readonly number[]): void {
  for (const index of indices) {
    if (!Number.isInteger(index) || index < 0) {
      throw new InvalidArgumentError({
        argument: 'indices',
        message: `Frame indices must be non-negative integers, got ${index}.`,
      });
    }
  }
}

/**
 * Decodes exactly the frames at `indices` (presentation order, 0-based) to 8-bit RGB with ffmpeg,
 * streaming them one at a time instead of decoding the whole video into memory. Frames come in
 * the order of `indices`; repeated indices repeat the frame. Frames are not rotated (as decord),
 * and ffmpeg stops as soon as the last wanted frame is out.
 *
 * @throws {VideoDecodeError} for unreadable files or indices past the end of the video
 * @throws {DependencyMissingError} when ffmpeg is not installed
 * @throws {AbortedError} when `signal` aborts (the ffmpeg process is killed)
 */
export async function* decodeFrames(
  path: string,
  indices: readonly number[],
  options: DecodeFramesOptions = {},
): AsyncGenerator<DecodedFrame> {
  checkIndices(indices);
  throwIfAborted(options.signal);
  if (indices.length === 0) return;
  await checkFile(path);
  let { width, height, frameCount } = options;
  if (width === undefined || height === undefined)
    ({ width, height, frameCount } = await probeVideo(path, options));
  const past = frameCount === undefined ? undefined : indices.find((index) => index >= frameCount!);
  if (past !== undefined) {
    throw new VideoDecodeError({
      source: path,
      message: `Frame ${past} is past the end of ${path}: it has ${frameCount} frames (0…${frameCount! - 1}).`,
    });
  }
  const frameBytes = width * height * 3;
  const wanted = [...new Set(indices)].sort((a, b) => a - b);
  const inOrder = indices.every((index, i) => i === 0 || index >= indices[i - 1]!);

  const { ffmpeg } = resolveTools(options);
  // select= keeps the frames whose decode-order number n is wanted; passthrough keeps them as they are.
  const select = selectExpression(wanted);
  const child = spawnTool(
    ffmpeg,
    [
      '-v',
      'error',
      '-nostdin',
      '-noautorotate',
      '-i',
      path,
      '-map',
      '0:v:0',
      '-vf',
      `select='${select}'`,
      '-fps_mode',
      'passthrough',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      'pipe:1',
    ],
    options.signal,
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  let spawnError: unknown;
  child.once('error', (error) => {
    spawnError = error;
  });
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));

  const held = new Map<number, Uint8Array>();
  let next = 0; // position in `indices` of the next frame to yield
  let produced = 0; // frames ffmpeg has written so far
  let buffer = new Uint8Array(frameBytes);
  let filled = 0;
  try {
    for await (const chunk of child.stdout!) {
      let offset = 0;
      const bytes = chunk as Buffer;
      while (offset < bytes.length) {
        const take = Math.min(frameBytes - filled, bytes.length - offset);
        buffer.set(bytes.subarray(offset, offset + take), filled);
        filled += take;
        offset += take;
        if (filled < frameBytes) break;
        const index = wanted[produced++]!;
        filled = 0;
        if (inOrder) {
          while (next < indices.length && indices[next] === index) {
            yield {
              index,
              image: {
                width,
                height,
                data: next + 1 < indices.length && indices[next + 1] === index ? buffer.slice() : buffer,
              },
            };
            next++;
          }
        } else {
          held.set(index, buffer);
        }
        buffer = new Uint8Array(frameBytes);
        if (options.signal?.aborted) throw new AbortedError({ cause: options.signal.reason });
        if (produced === wanted.length) break;
      }
      if (produced === wanted.length) break;
    }
    if (produced < wanted.length) {
      const code = await exited;
      if (spawnError) throw toolError(ffmpeg, spawnError, options.signal);
      if (options.signal?.aborted) throw new AbortedError({ cause: options.signal.reason });
      throw new VideoDecodeError({
        source: path,
        message:
          code === 0
            ? `ffmpeg decoded ${produced} of the ${wanted.length} wanted frames of ${path}: frame ${wanted[produced]} and later are past the last frame it could decode${produced === 0 ? '' : ` (frame ${wanted[produced - 1]} was the last it gave)`}.`
            : `Cannot decode ${path}: ${stderr.trim() || `ffmpeg exited with code ${code}`}.`,
      });
    }
    if (!inOrder)
      for (const index of indices) yield { index, image: { width, height, data: held.get(index)!.slice() } };
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}
