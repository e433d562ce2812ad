import { IvlError } from './ivl-error.js';

const name = 'ModelLoadError';
const marker = Symbol.for(`ivl.error.${name}`);

/** A model file or directory is missing, malformed or from an incompatible version. */
export class ModelLoadError extends IvlError {
  protected readonly [marker] = true;
  /** The file or directory at fault. */
  readonly path: string;

  constructor({ path, message, cause }: { path: string; message: string; cause?: unknown }) {
    super({ name, message, cause });
    this.path = path;
  }

  static override isInstance(error: unknown): error is ModelLoadError {
    return IvlError.hasMarker(error, marker);
  }
}
