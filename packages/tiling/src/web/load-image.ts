import { type TiledImage, type TileImageOptions, tileImage } from '../tile-image.js';
import { decodeImage, type WebDecodeImageOptions, type WebImageInput } from './decode-image.js';

/**
 * Decodes an image in the browser and tiles it (the web counterpart of the official `load_image`).
 *
 * @example
 * ```ts
 * const tiled = await loadImage(fileInput.files[0], { maxTiles: 12 });
 * ```
 */
export async function loadImage(
  input: WebImageInput,
  options: TileImageOptions & WebDecodeImageOptions = {},
): Promise<TiledImage> {
  return tileImage(await decodeImage(input, options), options);
}
