import { IvlError } from './ivl-error.js';

const name = 'InferenceError';
const marker = Symbol.for(`ivl.error.${name}`);

/** A model part failed while running on a backend (out of memory, a kernel error, bad inputs). */
export class InferenceError extends IvlError {
  protected readonly [marker] = true;
  /** The backend, e.g. `ort-node/cpu`. */
  readonly backend: string;
  /** What was run, e.g. the model file of the session. */
  readonly session: string;

  constructor({
    backend,
    session,
    message,
    cause,
  }: {
    backend: string;
    session: string;
    message: string;
    cause?: unknown;
  }) {
    super({ name, message, cause });
    this.backend = backend;
    this.session = session;
  }

  static override isInstance(error: unknown): error is InferenceError {
    return IvlError.hasMarker(error, marker);
  }
}
