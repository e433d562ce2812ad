import { InvalidArgumentError } from '@ivl/core';

/** Options of {@link sampleFrameIndices}: the arguments of the official `get_index`. */
export interface FrameSamplingOptions {
  /** Frames in the video (`len(vr)`). */
  readonly frameCount: number;
  /** Average frame rate (`vr.get_avg_fps()`). */
  readonly fps: number;
  /** Frames to sample. @default 32 (the function default; the demo passes 8) */
  readonly segments?: number;
  /** `[startSec, endSec]` to sample within; the whole video when omitted. */
  readonly bound?: readonly [number, number];
  /** First frame index that may be chosen. @default 0 */
  readonly firstIndex?: number;
}

/** Python's `round()` / numpy's `np.round` on a float: to nearest, ties to even. */
export function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction < 0.5) return floor;
  if (fraction > 0.5) return floor + 1;
  return floor % 2 === 0 ? floor : floor + 1;
}

function check(argument: string, value: number, ok: boolean, expected: string): void {
  if (!ok)
    throw new InvalidArgumentError({
      argument,
      message: `\`${argument}\` must be ${expected}, got ${value}.`,
    });
}

/**
 * The frame indices InternVL samples from a video, identical to the official `get_index`:
 * `segments` equal segments between the bound (or the whole video), the middle frame of each,
 * with Python's round-half-to-even, `int()` truncation and `max_frame = frameCount - 1`.
 * Indices may repeat when the video has fewer frames than segments, as in the official code.
 *
 * @example
 * ```ts
 * sampleFrameIndices({ frameCount: 300, fps: 30, segments: 8 }); // [18, 55, 93, 130, 168, 205, 242, 280]
 * ```
 * @throws {InvalidArgumentError} for invalid counts, or a bound that selects no frame of the video
 *   (it starts after the video ends, or ends before it starts); the official code would index
 *   past the video there
 */
export function sampleFrameIndices(options: FrameSamplingOptions): number[] {
  const { frameCount, fps, segments = 32, bound, firstIndex = 0 } = options;
  check('frameCount', frameCount, Number.isInteger(frameCount) && frameCount >= 1, 'a positive integer');
  check('fps', fps, Number.isFinite(fps) && fps > 0, 'a positive number');
  check('segments', segments, Number.isInteger(segments) && segments >= 1, 'a positive integer');
  check('firstIndex', firstIndex, Number.isInteger(firstIndex) && firstIndex >= 0, 'a non-negative integer');
  const [start, end] = bound ?? [-100000, 100000];
  if (bound && !(Number.isFinite(start) && Number.isFinite(end) && start <= end)) {
    throw new InvalidArgumentError({
      argument: 'bound',
      message: `\`bound\` must be [startSec, endSec] with startSec ≤ endSec, got [${start}, ${end}].`,
    });
  }
  const startIndex = Math.max(firstIndex, roundHalfEven(start * fps));
  const endIndex = Math.min(roundHalfEven(end * fps), frameCount - 1);
  if (startIndex > endIndex) {
    throw new InvalidArgumentError({
      argument: 'bound',
      message:
        `The bound [${start}, ${end}] s selects no frame: it maps to frames ${startIndex}…${endIndex} but the video has ` +
        `frames ${firstIndex}…${frameCount - 1} (${(frameCount / fps).toFixed(2)} s at ${fps} fps).`,
    });
  }
  const segment = (endIndex - startIndex) / segments;
  const indices: number[] = [];
  for (let k = 0; k < segments; k++) {
    indices.push(Math.trunc(startIndex + segment / 2 + roundHalfEven(segment * k)));
  }
  return indices;
}

/**
 * Frame indices at given times: the frame shown at each time, `floor(t · fps)`, clamped to the video.
 * @throws {InvalidArgumentError} for negative or non-finite times
 */
export function frameIndicesAtTimes(
  timesSec: readonly number[],
  { frameCount, fps }: { frameCount: number; fps: number },
): number[] {
  check('frameCount', frameCount, Number.isInteger(frameCount) && frameCount >= 1, 'a positive integer');
  check('fps', fps, Number.isFinite(fps) && fps > 0, 'a positive number');
  return timesSec.map((time) => {
    check('timesSec', time, Number.isFinite(time) && time >= 0, 'non-negative finite seconds');
    return Math.min(Math.floor(time * fps), frameCount - 1);
  });
}
