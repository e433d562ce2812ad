import { IvlError } from './ivl-error.js';

const name = 'DependencyMissingError';
const marker = Symbol.for(`ivl.error.${name}`);

/** An optional dependency (a package such as `sharp`, or a program such as `ffmpeg`) is not installed. */
export class DependencyMissingError extends IvlError {
  protected readonly [marker] = true;
  /** The package or program, e.g. `sharp` or `ffmpeg`. */
  readonly dependency: string;

  constructor({ dependency, message, cause }: { dependency: string; message: string; cause?: unknown }) {
    super({ name, message, cause });
    this.dependency = dependency;
  }

  static override isInstance(error: unknown): error is DependencyMissingError {
    return IvlError.hasMarker(error, marker);
  }
}
