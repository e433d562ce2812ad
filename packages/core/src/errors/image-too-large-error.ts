import { IvlError } from './ivl-error.js';

const name = 'ImageTooLargeError';
const marker = Symbol.for(`ivl.error.${name}`);

/** An image has more pixels than the configured limit (a guard against decompression bombs). */
export class ImageTooLargeError extends IvlError {
  protected readonly [marker] = true;
  readonly width: number;
  readonly height: number;
  readonly limitPixels: number;

  constructor({
    width,
    height,
    limitPixels,
    cause,
  }: { width: number; height: number; limitPixels: number; cause?: unknown }) {
    super({
      name,
      message:
        `Image of ${width}×${height} = ${width * height} pixels exceeds the limit of ${limitPixels} pixels. ` +
        'Downscale the image first, or raise `maxPixels` if you trust the source.',
      cause,
    });
    this.width = width;
    this.height = height;
    this.limitPixels = limitPixels;
  }

  static override isInstance(error: unknown): error is ImageTooLargeError {
    return IvlError.hasMarker(error, marker);
  }
}
