const marker = Symbol.for('ivl.error');

/**
 * Base class of every error ivl throws.
 *
 * Use {@link IvlError.isInstance} (or the subclass's `isInstance`) rather than
 * `instanceof`: the check is done with a `Symbol.for` marker, so it holds even
 * when two copies of `@ivl/core` are installed side by side.
 */
export class IvlError extends Error {
  protected readonly [marker] = true;

  constructor({ name, message, cause }: { name: string; message: string; cause?: unknown }) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = name;
  }

  /** True when `error` is an ivl error of any kind. */
  static isInstance(error: unknown): error is IvlError {
    return IvlError.hasMarker(error, marker);
  }

  /** @internal */
  protected static hasMarker(error: unknown, symbol: symbol): boolean {
    return typeof error === 'object' && error !== null && symbol in error;
  }
}
