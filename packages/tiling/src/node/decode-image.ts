import { stat } from 'node:fs/promises';
import {
  DependencyMissingError,
  ImageDecodeError,
  ImageTooLargeError,
  InvalidArgumentError,
  IvlError,
  throwIfAborted,
} from '@ivl/core';
import type { Metadata, Sharp, SharpOptions } from 'sharp';
import { assertImageSize, DEFAULT_MAX_PIXELS, type RgbImage } from '../rgb-image.js';

/** What {@link decodeImage} reads: a file path, or the bytes of an encoded image. */
export type ImageInput = string | Uint8Array | ArrayBuffer;

/** Options of {@link decodeImage}. */
export interface DecodeImageOptions {
  /** Refuse images with more pixels than this (checked from the header, before decoding). @default 178956970 */
  readonly maxPixels?: number;
  /**
   * `ignore` (default) keeps the stored pixel order, as Pillow's `Image.open` does;
   * `apply` rotates/flips by the EXIF orientation first.
   */
  readonly orientation?: 'ignore' | 'apply';
  readonly signal?: AbortSignal;
}

type SharpModule = (input?: string | Buffer, options?: SharpOptions) => Sharp;
let sharpModule: Promise<SharpModule> | undefined;

function loadSharp(): Promise<SharpModule> {
  sharpModule ??= import('sharp').then(
    (module) => (module.default ?? module) as unknown as SharpModule,
    (error: unknown) => {
      sharpModule = undefined;
      throw new DependencyMissingError({
        dependency: 'sharp',
        message:
          'Decoding images in Node needs the optional peer dependency `sharp`. Install it: npm i sharp',
        cause: error,
      });
    },
  );
  return sharpModule;
}

function describe(input: ImageInput): string {
  return typeof input === 'string' ? input : `buffer of ${input.byteLength} bytes`;
}

// Pillow's CMYK -> RGB: nk = 255 - K; out = clip8(nk - round(C·nk/255)), with libImaging's MULDIV255.
function cmykToRgb(cmyk: Uint8Array, pixels: number): Uint8Array {
  const rgb = new Uint8Array(pixels * 3);
  for (let p = 0; p < pixels; p++) {
    const nk = 255 - cmyk[p * 4 + 3]!;
    for (let c = 0; c < 3; c++) {
      const tmp = cmyk[p * 4 + c]! * nk + 128;
      const value = nk - (((tmp >> 8) + tmp) >> 8);
      rgb[p * 3 + c] = Math.max(value, 0);
    }
  }
  return rgb;
}

// Pillow opens 16-bit greyscale as mode I/I;16, and convert('RGB') clips each value to 255.
function clippedGrey16ToRgb(grey: Uint16Array, pixels: number, channels: number): Uint8Array {
  const rgb = new Uint8Array(pixels * 3);
  for (let p = 0; p < pixels; p++) {
    const value = Math.min(grey[p * channels]!, 255);
    rgb[p * 3] = value;
    rgb[p * 3 + 1] = value;
    rgb[p * 3 + 2] = value;
  }
  return rgb;
}

async function readPixels(
  pipeline: Sharp,
  metadata: Metadata,
): Promise<{ data: Uint8Array; info: { width: number; height: number } }> {
  if (metadata.space === 'cmyk') {
    const { data, info } = await pipeline
      .pipelineColourspace('cmyk')
      .toColourspace('cmyk')
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { data: cmykToRgb(data, info.width * info.height), info };
  }
  if (metadata.depth === 'ushort' && (metadata.channels ?? 0) <= 2) {
    const { data, info } = await pipeline
      .pipelineColourspace('grey16')
      .toColourspace('grey16')
      .raw({ depth: 'ushort' })
      .toBuffer({ resolveWithObject: true });
    const grey = new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2);
    return { data: clippedGrey16ToRgb(grey, info.width * info.height, info.channels), info };
  }
  const { data, info } = await pipeline
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), info };
}

/** @internal An image whose header has been read: its size, and a way to decode its pixels. */
export interface OpenedImage {
  /** The size the header announces (after the EXIF orientation, when it is applied). */
  readonly width: number;
  readonly height: number;
  /** Starts decoding at once, on sharp's threads, and resolves to the pixels. */
  decode(): Promise<RgbImage>;
}

function decodeError(source: string, error: unknown): unknown {
  if (IvlError.isInstance(error)) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new ImageDecodeError({
    source,
    message:
      `Cannot decode image (${source}): ${reason}. Expected a complete JPEG, PNG, WebP, GIF, TIFF or AVIF image; ` +
      'check that the file is not truncated or of another format.',
    cause: error,
  });
}

/**
 * @internal Reads an image's header (checking its format and size) without decoding it, so that
 * a caller can prepare for its pixels while sharp decodes them (see loadImage).
 */
export async function openImage(input: ImageInput, options: DecodeImageOptions = {}): Promise<OpenedImage> {
  const { maxPixels = DEFAULT_MAX_PIXELS, orientation = 'ignore', signal } = options;
  if (!Number.isFinite(maxPixels) || maxPixels < 1) {
    throw new InvalidArgumentError({
      argument: 'maxPixels',
      message: `\`maxPixels\` must be ≥ 1, got ${maxPixels}.`,
    });
  }
  throwIfAborted(signal);
  const source = describe(input);
  if (typeof input === 'string') {
    const info = await stat(input).catch((error: unknown) => {
      throw new ImageDecodeError({ source, message: `Image file not found: ${input}.`, cause: error });
    });
    if (!info.isFile()) throw new ImageDecodeError({ source, message: `Not a file: ${input}.` });
  }
  const sharp = await loadSharp();
  const data =
    typeof input === 'string'
      ? input
      : Buffer.from(input instanceof ArrayBuffer ? new Uint8Array(input) : input);
  // limitInputPixels is checked by us, so we can throw the typed error with the real size.
  const open = () =>
    sharp(data, { limitInputPixels: false, failOn: 'warning', ignoreIcc: true, pages: 1 } as SharpOptions);
  let metadata: Metadata;
  try {
    metadata = await open().metadata();
  } catch (error) {
    throw decodeError(source, error);
  }
  if (metadata.format === 'svg' || metadata.format === 'pdf') {
    // Pillow, the reference pipeline, opens neither; and an SVG can pull in other files by path.
    throw new ImageDecodeError({
      source,
      message: `${source} is ${metadata.format.toUpperCase()}, which InternVL's preprocessing (Pillow) does not read. Convert it to PNG or JPEG first.`,
    });
  }
  const width = metadata.width ?? 0;
  const height = metadata.height ?? 0;
  if (width * height > maxPixels) throw new ImageTooLargeError({ width, height, limitPixels: maxPixels });
  throwIfAborted(signal);
  // EXIF orientations 5 to 8 turn the image a quarter.
  const turned = orientation === 'apply' && (metadata.orientation ?? 1) >= 5;
  return {
    width: turned ? height : width,
    height: turned ? width : height,
    async decode() {
      try {
        let pipeline = open();
        if (orientation === 'apply') pipeline = pipeline.rotate();
        const { data: rgb, info } = await readPixels(pipeline, metadata);
        throwIfAborted(signal);
        assertImageSize(info.width, info.height, maxPixels);
        return { width: info.width, height: info.height, data: rgb };
      } catch (error) {
        throw decodeError(source, error);
      }
    },
  };
}

/**
 * Decodes an image file or buffer to 8-bit RGB exactly as Pillow's `Image.open(...).convert('RGB')`:
 * alpha dropped (not composited), palette expanded, ICC profiles ignored, EXIF orientation ignored
 * unless asked for, the first frame of animations. Uses `sharp` (an optional peer dependency).
 *
 * Formats: JPEG (incl. CMYK), PNG (palette, 16-bit, alpha), WebP, GIF, TIFF, AVIF/HEIF.
 *
 * @throws {ImageDecodeError} for missing, unsupported, corrupt or truncated input
 * @throws {ImageTooLargeError} when the header announces more than `maxPixels`
 */
export async function decodeImage(input: ImageInput, options: DecodeImageOptions = {}): Promise<RgbImage> {
  return (await openImage(input, options)).decode();
}
