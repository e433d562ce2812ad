import { IvlError } from './ivl-error.js';

const name = 'InvalidArgumentError';
const marker = Symbol.for(`ivl.error.${name}`);

/** An argument or option has a value the function cannot work with. */
export class InvalidArgumentError extends IvlError {
  protected readonly [marker] = true;
  /** The argument or option at fault, e.g. `maxTiles`. */
  readonly argument: string;

  constructor({ argument, message, cause }: { argument: string; message: string; cause?: unknown }) {
    super({ name, message, cause });
    this.argument = argument;
  }

  static override isInstance(error: unknown): error is InvalidArgumentError {
    return IvlError.hasMarker(error, marker);
  }
}
