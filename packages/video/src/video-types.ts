import type { Tensor } from '@ivl/core';
import type { RgbImage } from '@ivl/tiling';

/** What a probe learns about a video. */
export interface VideoInfo {
  /** Frames in the video (what the official code calls `len(vr)`). */
  readonly frameCount: number;
  /** Average frame rate (`vr.get_avg_fps()`). */
  readonly fps: number;
  readonly durationSec: number;
  readonly width: number;
  readonly height: number;
  /** Display-matrix rotation in degrees as ffprobe reports it, in [0, 360); frames are decoded unrotated, as decord does. */
  readonly rotation: number;
  readonly codec: string;
}

/** One decoded frame. */
export interface DecodedFrame {
  /** Frame index in presentation order. */
  readonly index: number;
  readonly image: RgbImage;
}

/** Sampled frames as model input: one 448 px tile per frame (the official `load_video`). */
export interface VideoPixelValues {
  readonly info: VideoInfo;
  readonly indices: readonly number[];
  /** `[frames, 3, 448, 448]`. */
  readonly pixelValues: Tensor<'float32'> | Tensor<'float16'>;
  /** `[1, 1, …]`: one tile per frame. */
  readonly numTilesList: readonly number[];
}

/** A probed video and its sampled frames, decoded one at a time as they are iterated. */
export interface SampledVideo {
  readonly info: VideoInfo;
  readonly indices: readonly number[];
  /** The frames at `indices`, in order; iterate it to the end (or `return()` it) to free the decoder. */
  readonly frames: AsyncGenerator<DecodedFrame>;
}
