export type { EncodeImagesOptions } from './encode-images.js';
export { encodeImages } from './encode-images.js';
