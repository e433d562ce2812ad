import { AbortedError } from '../errors/aborted-error.js';
import { IvlError } from '../errors/ivl-error.js';
import { ShapeMismatchError } from '../errors/shape-mismatch-error.js';
import type { TensorMap } from './inference-backend.js';

/**
 * The checks every backend makes before running a session: not disposed, not aborted, every input
 * fed. Throws the typed error for the first that fails.
 * @remarks For backend authors.
 */
export function checkRun({
  disposed,
  described,
  inputNames,
  feeds,
  signal,
}: {
  disposed: boolean;
  described: string;
  inputNames: readonly string[];
  feeds: TensorMap;
  signal?: AbortSignal | undefined;
}): void {
  if (disposed)
    throw new IvlError({
      name: 'SessionDisposedError',
      message: `The session of ${described} was disposed; create a new one.`,
    });
  if (signal?.aborted) throw new AbortedError({ cause: signal.reason });
  const missing = inputNames.filter((name) => !(name in feeds));
  if (missing.length > 0) {
    throw new ShapeMismatchError({
      message: `Missing inputs ${missing.join(', ')} for ${described}. Expected: ${inputNames.join(', ')}.`,
      expectedDims: [],
      actualDims: [],
    });
  }
}

/**
 * The error to throw when the runtime's run fails: ivl errors as they are, anything else as a
 * `ShapeMismatchError` that keeps the original as `cause`.
 * @remarks For backend authors.
 */
export function toRunError(error: unknown, described: string): Error {
  if (IvlError.isInstance(error)) return error;
  return new ShapeMismatchError({
    message: `Running ${described} failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}. Check the dtypes and shapes of the inputs.`,
    expectedDims: [],
    actualDims: [],
    cause: error,
  });
}
