export type { FrameSamplingOptions } from './sample-frame-indices.js';
export { frameIndicesAtTimes, roundHalfEven, sampleFrameIndices } from './sample-frame-indices.js';
export type { DecodedFrame, SampledVideo, VideoInfo, VideoPixelValues } from './video-types.js';
