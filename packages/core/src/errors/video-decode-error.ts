import { IvlError } from './ivl-error.js';

const name = 'VideoDecodeError';
const marker = Symbol.for(`ivl.error.${name}`);

/** A video could not be read: missing, corrupt, without a video stream, or undecodable. */
export class VideoDecodeError extends IvlError {
  protected readonly [marker] = true;
  /** A description of the input (a path, `Blob (video/mp4, 1234 bytes)`). */
  readonly source: string;

  constructor({ source, message, cause }: { source: string; message: string; cause?: unknown }) {
    super({ name, message, cause });
    this.source = source;
  }

  static override isInstance(error: unknown): error is VideoDecodeError {
    return IvlError.hasMarker(error, marker);
  }
}
