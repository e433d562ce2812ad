import { IvlError } from './ivl-error.js';

const name = 'ImageDecodeError';
const marker = Symbol.for(`ivl.error.${name}`);

/** An image could not be read: unsupported format, corrupt or truncated data, missing file. */
export class ImageDecodeError extends IvlError {
  protected readonly [marker] = true;
  /** A description of the input (a path, `buffer of 1234 bytes`, `Blob (image/png)`). */
  readonly source: string;

  constructor({ source, message, cause }: { source: string; message: string; cause?: unknown }) {
    super({ name, message, cause });
    this.source = source;
  }

  static override isInstance(error: unknown): error is ImageDecodeError {
    return IvlError.hasMarker(error, marker);
  }
}
