import { InvalidArgumentError } from '@ivl/core';

/** InternVL's image tokens (internvl-spec §2.1). */
export const IMG_START_TOKEN = '<img>';
export const IMG_END_TOKEN = '</img>';
export const IMG_CONTEXT_TOKEN = '<IMG_CONTEXT>';
/** The placeholder users write where an image goes. */
export const IMAGE_PLACEHOLDER = '<image>';
/** Image tokens per 448 px tile: (448 / 14)² · 0.5². */
export const NUM_IMAGE_TOKEN = 256;

/** How video frames are labelled: the model card's `Frame1:` or training's `Frame-1:`. */
export type FrameLabel = 'Frame1' | 'Frame-1';

/** `Image-1: <image>\nImage-2: <image>\n…`, the prefix of a multi-image question. */
export function multiImagePrefix(count: number): string {
  let prefix = '';
  for (let i = 1; i <= count; i++) prefix += `Image-${i}: ${IMAGE_PLACEHOLDER}\n`;
  return prefix;
}

/** `Frame1: <image>\n…` (or `Frame-1: …`), the prefix of a video question. */
export function videoPrefix(frames: number, label: FrameLabel = 'Frame1'): string {
  const separator = label === 'Frame-1' ? '-' : '';
  let prefix = '';
  for (let i = 1; i <= frames; i++) prefix += `Frame${separator}${i}: ${IMAGE_PLACEHOLDER}\n`;
  return prefix;
}

function countPlaceholders(prompt: string): number {
  return prompt.split(IMAGE_PLACEHOLDER).length - 1;
}

/**
 * Replaces the `<image>` placeholders of a whole rendered prompt, in order, with
 * `<img>` + `<IMG_CONTEXT>`×(numImageToken·tiles) + `</img>`, one entry of `numTilesList` each
 * (the official `chat()` replacement).
 *
 * @throws {InvalidArgumentError} when the number of placeholders differs from the number of images
 *   (the official code would fail later with a shape mismatch, or leave `<image>` as text)
 */
export function expandImagePlaceholders(
  prompt: string,
  numTilesList: readonly number[],
  numImageToken = NUM_IMAGE_TOKEN,
): string {
  const placeholders = countPlaceholders(prompt);
  if (placeholders !== numTilesList.length) {
    throw new InvalidArgumentError({
      argument: 'images',
      message:
        `The prompt has ${placeholders} ${IMAGE_PLACEHOLDER} placeholder(s) but ${numTilesList.length} image(s) were given. ` +
        `Write one ${IMAGE_PLACEHOLDER} per image (or per video frame), or pass as many images as placeholders.`,
    });
  }
  for (const [index, tiles] of numTilesList.entries()) {
    if (!Number.isInteger(tiles) || tiles < 1) {
      throw new InvalidArgumentError({
        argument: 'numTilesList',
        message: `Image ${index} must have a positive integer number of tiles, got ${tiles}.`,
      });
    }
  }
  let index = 0;
  return prompt.replaceAll(IMAGE_PLACEHOLDER, () => {
    const tokens = numImageToken * numTilesList[index++]!;
    return IMG_START_TOKEN + IMG_CONTEXT_TOKEN.repeat(tokens) + IMG_END_TOKEN;
  });
}
