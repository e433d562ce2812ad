import { IvlError } from './ivl-error.js';

const name = 'ShapeMismatchError';
const marker = Symbol.for(`ivl.error.${name}`);

/** A tensor or buffer does not have the shape or length that was expected. */
export class ShapeMismatchError extends IvlError {
  protected readonly [marker] = true;
  readonly expectedDims: readonly number[];
  readonly actualDims: readonly number[];

  constructor({
    message,
    expectedDims,
    actualDims,
    cause,
  }: { message: string; expectedDims: readonly number[]; actualDims: readonly number[]; cause?: unknown }) {
    super({ name, message, cause });
    this.expectedDims = expectedDims;
    this.actualDims = actualDims;
  }

  static override isInstance(error: unknown): error is ShapeMismatchError {
    return IvlError.hasMarker(error, marker);
  }
}
