import { AbortedError } from '../errors/aborted-error.js';
import { InferenceError } from '../errors/inference-error.js';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { IvlError } from '../errors/ivl-error.js';
import { SessionDisposedError } from '../errors/session-disposed-error.js';
import { ShapeMismatchError } from '../errors/shape-mismatch-error.js';
import type { TensorMap } from './inference-backend.js';

/**
 * The checks every backend makes before running a session: not disposed, not aborted, every input
 * fed, and no float16 input where the device cannot compute in it (`noFloat16`: why not, and the
 * device to use instead). Throws the typed error for the first that fails.
 * @remarks For backend authors.
 */
export function checkRun({
  disposed,
  described,
  inputNames,
  feeds,
  signal,
  noFloat16,
}: {
  disposed: boolean;
  described: string;
  inputNames: readonly string[];
  feeds: TensorMap;
  signal?: AbortSignal | undefined;
  noFloat16?: { readonly reason: string; readonly otherDevice: string } | undefined;
}): void {
  if (disposed) throw new SessionDisposedError({ session: described });
  if (signal?.aborted) throw new AbortedError({ cause: signal.reason });
  const missing = inputNames.filter((name) => !(name in feeds));
  if (missing.length > 0) {
    throw new ShapeMismatchError({
      message: `Missing inputs ${missing.join(', ')} for ${described}. Expected: ${inputNames.join(', ')}.`,
      expectedDims: [],
      actualDims: [],
    });
  }
  const half = noFloat16 && Object.entries(feeds).find(([, value]) => value.dtype === 'float16');
  if (half) {
    throw new InvalidArgumentError({
      argument: half[0],
      message: `Input "${half[0]}" is float16 but ${noFloat16.reason}. Convert it to float32 (or use an fp32 model), or use the ${noFloat16.otherDevice} device.`,
    });
  }
}

// What onnxruntime says when an allocation fails, on CPU, CUDA and WebGPU.
const OUT_OF_MEMORY = /bad_alloc|out of memory|failed to allocate|allocation failed|\bOOM\b/i;

/**
 * The error to throw when a backend's run fails: ivl errors as they are, anything else as an
 * `InferenceError` naming the backend and the session, keeping the original as `cause`, with a
 * next step for the failures users can act on (out of memory).
 * @remarks For backend authors.
 */
export function toRunError(error: unknown, where: { backend: string; described: string }): Error {
  if (IvlError.isInstance(error)) return error;
  const reason = error instanceof Error ? error.message.split('\n')[0]! : String(error);
  const hint = OUT_OF_MEMORY.test(reason)
    ? ' The device ran out of memory: use fewer tiles (maxTiles) or frames, smaller weights (q8, q4), or a device with more memory.'
    : ' Check the dtypes and shapes of the inputs; if they are right, this is a bug worth reporting with the model and inputs.';
  return new InferenceError({
    backend: where.backend,
    session: where.described,
    message: `Running ${where.described} on ${where.backend} failed: ${reason}.${hint}`,
    cause: error,
  });
}
