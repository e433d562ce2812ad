export type { FrameSamplingOptions } from './sample-frame-indices.js';
export { frameIndicesAtTimes, roundHalfEven, sampleFrameIndices } from './sample-frame-indices.js';
export type { DecodedFrame, VideoInfo, VideoPixelValues } from './video-types.js';
