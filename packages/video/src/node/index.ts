export * from '../index.js';
export type { DecodeFramesOptions } from './decode-frames.js';
export { decodeFrames } from './decode-frames.js';
export type { FfmpegOptions } from './ffmpeg-tools.js';
export type { LoadVideoOptions } from './load-video.js';
export { loadVideo, sampleVideoFrames } from './load-video.js';
export { probeVideo } from './probe-video.js';
