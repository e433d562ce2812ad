import { AbortedError, InvalidArgumentError, VideoDecodeError } from '@ivl/core';
import type { VideoSample } from 'mediabunny';
import type { DecodedFrame } from '../video-types.js';
import {
  describeInput,
  loadMediabunny,
  type OpenedVideo,
  openVideo,
  type WebVideoInput,
} from './open-video.js';
import { yuv420ToRgb } from './yuv-to-rgb.js';

/** Options of the web {@link decodeFrames}. */
export interface WebDecodeFramesOptions {
  readonly signal?: AbortSignal;
  /** An already opened video (from {@link probeVideo}'s internals), to avoid demuxing twice. @internal */
  readonly opened?: OpenedVideo;
}

// The decoder's VideoFrame reports BT.709 for untagged video; the track's own colour space (from the
// bitstream/container) says whether the video is tagged at all, which is what ffmpeg goes by.
async function sampleToRgb(
  sample: VideoSample,
  width: number,
  height: number,
  tagged: VideoColorSpaceInit,
): Promise<Uint8Array> {
  if (sample.format === 'I420' || sample.format === 'NV12') {
    const planes = new Uint8Array(sample.allocationSize());
    const layout = await sample.copyTo(planes);
    const plane = (index: number) => planes.subarray(layout[index]!.offset);
    return yuv420ToRgb({
      width,
      height,
      y: plane(0),
      yStride: layout[0]!.stride,
      u: plane(1),
      uStride: layout[1]!.stride,
      ...(sample.format === 'I420' && { v: plane(2), vStride: layout[2]!.stride }),
      interleaved: sample.format === 'NV12',
      matrix: tagged.matrix ?? null,
      fullRange: tagged.fullRange ?? false,
    });
  }
  const rgba = new Uint8Array(width * height * 4);
  try {
    await sample.copyTo(rgba, { format: 'RGBA', colorSpace: 'srgb' } as VideoFrameCopyToOptions);
  } catch {
    // Older WebCodecs cannot convert in copyTo; the canvas path converts the same way a <video> would.
    const canvas = new OffscreenCanvas(width, height);
    const context = canvas.getContext('2d', { willReadFrequently: true })!;
    const frame = sample.toVideoFrame();
    context.drawImage(frame, 0, 0);
    frame.close();
    rgba.set(context.getImageData(0, 0, width, height).data);
  }
  const rgb = new Uint8Array(width * height * 3);
  for (let s = 0, t = 0; s < rgba.length; s += 4, t += 3) {
    rgb[t] = rgba[s]!;
    rgb[t + 1] = rgba[s + 1]!;
    rgb[t + 2] = rgba[s + 2]!;
  }
  return rgb;
}

/**
 * Decodes the frames at `indices` (presentation order) in the browser with WebCodecs, demuxing with
 * mediabunny, one frame at a time. Frames come in the order of `indices`; repeats repeat the frame.
 * Frames are not rotated. 4:2:0 frames are converted to RGB here with ffmpeg's assumptions
 * (BT.601 for untagged video), within about one level of ffmpeg's decode; other formats use the
 * browser's conversion.
 *
 * @throws {VideoDecodeError} for unreadable input, a codec the browser cannot decode, or indices past the end
 * @throws {AbortedError} when `signal` aborts
 */
export async function* decodeFrames(
  input: WebVideoInput,
  indices: readonly number[],
  options: WebDecodeFramesOptions = {},
): AsyncGenerator<DecodedFrame> {
  for (const index of indices) {
    if (!Number.isInteger(index) || index < 0) {
      throw new InvalidArgumentError({
        argument: 'indices',
        message: `Frame indices must be non-negative integers, got ${index}.`,
      });
    }
  }
  const opened = options.opened ?? (await openVideo(input, options.signal));
  try {
    const { frameTimestamps, track, info } = opened;
    const past = indices.find((index) => index >= frameTimestamps.length);
    if (past !== undefined) {
      throw new VideoDecodeError({
        source: describeInput(input),
        message: `Frame ${past} is past the end of the video (it has ${frameTimestamps.length} frames).`,
      });
    }
    if (!(await track.canDecode())) {
      throw new VideoDecodeError({
        source: describeInput(input),
        message: `This browser cannot decode ${info.codec} video (WebCodecs). Convert it to VP9/WebM or H.264/MP4, or use @ivl/video/node.`,
      });
    }
    const { VideoSampleSink } = await loadMediabunny();
    const colorSpace = await track.getColorSpace();
    const sink = new VideoSampleSink(track);
    const order = indices.map((index, position) => ({ index, position })).sort((a, b) => a.index - b.index);
    const decoded = new Map<number, Uint8Array>();
    // Frames are pulled in time order (each packet decoded at most once) and released as soon as
    // every earlier requested position has been yielded.
    const times = order.map(({ index }) => frameTimestamps[index]!);
    let next = 0;
    let cursor = 0;
    for await (const sample of sink.samplesAtTimestamps(times)) {
      if (options.signal?.aborted) {
        sample?.close();
        throw new AbortedError({ cause: options.signal.reason });
      }
      const { index } = order[cursor++]!;
      if (!sample)
        throw new VideoDecodeError({
          source: describeInput(input),
          message: `Frame ${index} could not be decoded.`,
        });
      if (!decoded.has(index))
        decoded.set(index, await sampleToRgb(sample, sample.codedWidth, sample.codedHeight, colorSpace));
      sample.close();
      while (next < indices.length && decoded.has(indices[next]!)) {
        const frameIndex = indices[next]!;
        const data = decoded.get(frameIndex)!;
        next++;
        const later = indices.indexOf(frameIndex, next) !== -1;
        if (!later) decoded.delete(frameIndex);
        yield {
          index: frameIndex,
          image: { width: info.width, height: info.height, data: later ? data.slice() : data },
        };
      }
    }
  } finally {
    if (!options.opened) opened.dispose();
  }
}
