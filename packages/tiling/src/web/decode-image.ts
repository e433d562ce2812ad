import { ImageDecodeError, IvlError, throwIfAborted } from '@ivl/core';
import { assertImageSize, createRgbImage, DEFAULT_MAX_PIXELS, type RgbImage } from '../rgb-image.js';

/** What the web {@link decodeImage} reads. */
export type WebImageInput =
  | Blob
  | ImageBitmap
  | ImageData
  | HTMLCanvasElement
  | OffscreenCanvas
  | HTMLImageElement;

/** Options of the web {@link decodeImage}. */
export interface WebDecodeImageOptions {
  /** Refuse images with more pixels than this. @default 178956970 */
  readonly maxPixels?: number;
  /** `ignore` (default, as Pillow) or `apply` the EXIF orientation of a Blob. */
  readonly orientation?: 'ignore' | 'apply';
  readonly signal?: AbortSignal;
}

// A canvas 2D context stores premultiplied alpha, which destroys the colour of transparent
// pixels; Pillow keeps it. WebGL reads an un-premultiplied ImageBitmap back without that loss.
function readWithWebGl(bitmap: ImageBitmap): Uint8Array | undefined {
  if (typeof OffscreenCanvas === 'undefined') return undefined;
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const gl = canvas.getContext('webgl2', { premultipliedAlpha: false, antialias: false });
  if (!gl) return undefined;
  try {
    const texture = gl.createTexture();
    gl.bindTexture(gl.TEXTURE_2D, texture);
    gl.pixelStorei(gl.UNPACK_PREMULTIPLY_ALPHA_WEBGL, false);
    gl.pixelStorei(gl.UNPACK_COLORSPACE_CONVERSION_WEBGL, gl.NONE);
    gl.pixelStorei(gl.UNPACK_FLIP_Y_WEBGL, false);
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA8, gl.RGBA, gl.UNSIGNED_BYTE, bitmap);
    const framebuffer = gl.createFramebuffer();
    gl.bindFramebuffer(gl.FRAMEBUFFER, framebuffer);
    gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, texture, 0);
    if (gl.checkFramebufferStatus(gl.FRAMEBUFFER) !== gl.FRAMEBUFFER_COMPLETE) return undefined;
    const rgba = new Uint8Array(bitmap.width * bitmap.height * 4);
    gl.readPixels(0, 0, bitmap.width, bitmap.height, gl.RGBA, gl.UNSIGNED_BYTE, rgba);
    gl.deleteFramebuffer(framebuffer);
    gl.deleteTexture(texture);
    return gl.getError() === gl.NO_ERROR ? rgba : undefined;
  } finally {
    gl.getExtension('WEBGL_lose_context')?.loseContext();
  }
}

function readWithCanvas2d(source: CanvasImageSource, width: number, height: number): Uint8ClampedArray {
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext('2d', { colorSpace: 'srgb', willReadFrequently: true });
  if (!context)
    throw new IvlError({ name: 'ImageDecodeError', message: 'No 2D canvas context is available.' });
  context.drawImage(source, 0, 0);
  return context.getImageData(0, 0, width, height, { colorSpace: 'srgb' }).data;
}

function fromRgba(
  data: Uint8Array | Uint8ClampedArray,
  width: number,
  height: number,
  maxPixels: number,
): RgbImage {
  return createRgbImage(data, width, height, { channels: 4, maxPixels });
}

async function decodeBlob(blob: Blob, options: WebDecodeImageOptions, maxPixels: number): Promise<RgbImage> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob, {
      premultiplyAlpha: 'none',
      colorSpaceConversion: 'none',
      imageOrientation: options.orientation === 'apply' ? 'from-image' : 'none',
    });
  } catch (error) {
    throw new ImageDecodeError({
      source: `Blob (${blob.type || 'unknown type'}, ${blob.size} bytes)`,
      message:
        `Cannot decode image Blob (${blob.type || 'unknown type'}, ${blob.size} bytes): ` +
        `${error instanceof Error ? error.message : String(error)}. Expected a complete image the browser can decode.`,
      cause: error,
    });
  }
  try {
    return decodeBitmap(bitmap, maxPixels);
  } finally {
    bitmap.close();
  }
}

function decodeBitmap(bitmap: ImageBitmap, maxPixels: number): RgbImage {
  assertImageSize(bitmap.width, bitmap.height, maxPixels);
  const rgba = readWithWebGl(bitmap) ?? readWithCanvas2d(bitmap, bitmap.width, bitmap.height);
  return fromRgba(rgba, bitmap.width, bitmap.height, maxPixels);
}

/**
 * Decodes an image in the browser (or a worker) to 8-bit RGB, as close to Pillow's
 * `convert('RGB')` as the platform allows: no colour-space conversion, no premultiplied alpha
 * (read back through WebGL where available), EXIF orientation ignored unless asked for.
 *
 * PNG, WebP lossless and other lossless inputs decode to exactly Pillow's pixels. JPEG decoders
 * may differ from libjpeg-turbo by ±1 in chroma-upsampled pixels. ImageData and canvases are taken
 * as they are (a 2D canvas has already lost the colour of fully transparent pixels).
 *
 * @throws {ImageDecodeError} when the browser cannot decode the input
 * @throws {ImageTooLargeError} for images over `maxPixels`
 */
export async function decodeImage(
  input: WebImageInput,
  options: WebDecodeImageOptions = {},
): Promise<RgbImage> {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  throwIfAborted(options.signal);
  if (typeof ImageData !== 'undefined' && input instanceof ImageData) {
    return fromRgba(input.data, input.width, input.height, maxPixels);
  }
  if (typeof Blob !== 'undefined' && input instanceof Blob) return decodeBlob(input, options, maxPixels);
  if (typeof ImageBitmap !== 'undefined' && input instanceof ImageBitmap)
    return decodeBitmap(input, maxPixels);
  const source = input as HTMLCanvasElement | OffscreenCanvas | HTMLImageElement;
  const width = 'naturalWidth' in source ? source.naturalWidth : source.width;
  const height = 'naturalHeight' in source ? source.naturalHeight : source.height;
  assertImageSize(width, height, maxPixels);
  const bitmap = await createImageBitmap(source, { premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
  try {
    return decodeBitmap(bitmap, maxPixels);
  } finally {
    bitmap.close();
  }
}
