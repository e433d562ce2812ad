import { type TiledImage, type TileImageOptions, tileImage } from '../tile-image.js';
import { type DecodeImageOptions, decodeImage, type ImageInput } from './decode-image.js';

/**
 * Decodes an image file or buffer and tiles it: the Node counterpart of the official `load_image`.
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
  return tileImage(await decodeImage(input, options), options);
}
