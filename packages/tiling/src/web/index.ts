export * from '../index.js';
export type { WebDecodeImageOptions, WebImageInput } from './decode-image.js';
export { decodeImage } from './decode-image.js';
export { loadImage } from './load-image.js';
