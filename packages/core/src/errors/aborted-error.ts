import { IvlError } from './ivl-error.js';

const name = 'AbortedError';
const marker = Symbol.for(`ivl.error.${name}`);

/** The caller cancelled the operation through its `AbortSignal`. */
export class AbortedError extends IvlError {
  protected readonly [marker] = true;

  constructor({ message = 'The operation was aborted.', cause }: { message?: string; cause?: unknown } = {}) {
    super({ name, message, cause });
  }

  static override isInstance(error: unknown): error is AbortedError {
    return IvlError.hasMarker(error, marker);
  }
}

/** Throws an {@link AbortedError} carrying the signal's reason when `signal` is aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortedError({ cause: signal.reason });
}
