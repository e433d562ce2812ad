export * from '../index.js';
export type { WebDecodeFramesOptions } from './decode-frames.js';
export { decodeFrames } from './decode-frames.js';
export type { WebLoadVideoOptions } from './load-video.js';
export { loadVideo, probeVideo, sampleVideoFrames } from './load-video.js';
export type { WebVideoInput } from './open-video.js';
