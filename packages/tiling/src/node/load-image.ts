import { pixelValuesPreparer, type TiledImage, type TileImageOptions, tileImageInto } from '../tile-image.js';
import { type DecodeImageOptions, type ImageInput, openImage } from './decode-image.js';

/**
 * Decodes an image file or buffer and tiles it: the Node counterpart of the official `load_image`.
 * While sharp decodes (on its own thread), this thread makes the `pixel_values` buffer ready.
 *
 * @example
 * ```ts
 * const { dims } = await loadImage('photo.jpg', { maxTiles: 12 }); // [13, 3, 448, 448] for 800×600
 * ```
 */
export async function loadImage(
  input: ImageInput,
  options: TileImageOptions & DecodeImageOptions = {},
): Promise<TiledImage> {
  const opened = await openImage(input, options);
  // Options are checked here, before any decoding starts.
  const prepare = pixelValuesPreparer(opened.width, opened.height, options);
  const decoding = opened.decode();
  let output: Float32Array | undefined;
  try {
    output = prepare();
  } catch {
    // Out of memory: tiling allocates again and reports it, once the decoding has settled.
  }
  return tileImageInto(await decoding, options, output);
}
