import { stat } from 'node:fs/promises';
import { throwIfAborted, VideoDecodeError } from '@ivl/core';
import type { VideoInfo } from '../video-types.js';
import { type FfmpegOptions, resolveTools, runTool } from './ffmpeg-tools.js';

interface ProbeStream {
  codec_name?: string;
  width?: number;
  height?: number;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  nb_frames?: string;
  nb_read_packets?: string;
  duration?: string;
  tags?: { rotate?: string };
  side_data_list?: { rotation?: number }[];
}

function rate(text: string | undefined): number {
  const [numerator, denominator] = (text ?? '0/0').split('/').map(Number);
  return denominator ? numerator! / denominator : Number(numerator);
}

/** @internal */
export async function checkFile(path: string): Promise<void> {
  const info = await stat(path).catch((error: unknown) => {
    throw new VideoDecodeError({ source: path, message: `Video file not found: ${path}.`, cause: error });
  });
  if (!info.isFile()) throw new VideoDecodeError({ source: path, message: `Not a file: ${path}.` });
}

/**
 * Reads a video's frame count, average fps, duration, size, rotation and codec with ffprobe.
 * The frame count is the number of video packets (`-count_packets`: demuxing only, no decoding),
 * which is one per frame for H.264, HEVC, VP8/9 and AV1, exact for containers that do not record a
 * count and for variable frame rate, and is how decord indexes frames too.
 *
 * @throws {VideoDecodeError} for missing or corrupt files and files with no video stream
 * @throws {DependencyMissingError} when ffprobe is not installed
 */
export async function probeVideo(path: string, options: FfmpegOptions = {}): Promise<VideoInfo> {
  throwIfAborted(options.signal);
  await checkFile(path);
  const { ffprobe } = resolveTools(options);
  const { stdout, stderr, code } = await runTool(
    ffprobe,
    [
      '-v',
      'error',
      '-select_streams',
      'v:0',
      '-count_packets',
      '-show_entries',
      'stream=codec_name,width,height,avg_frame_rate,r_frame_rate,nb_frames,nb_read_packets,duration:stream_tags=rotate:stream_side_data=rotation:format=duration',
      '-of',
      'json',
      path,
    ],
    options.signal,
  );
  if (code !== 0) {
    throw new VideoDecodeError({
      source: path,
      message: `Cannot read video ${path}: ${stderr.trim() || `ffprobe exited with code ${code}`}. Check that the file is a complete video.`,
    });
  }
  const parsed = JSON.parse(stdout.toString()) as { streams?: ProbeStream[]; format?: { duration?: string } };
  const stream = parsed.streams?.[0];
  if (!stream) {
    throw new VideoDecodeError({
      source: path,
      message: `${path} has no video stream that ffprobe can read: it is audio-only, not a video, or damaged.`,
    });
  }
  const frameCount = Number(stream.nb_read_packets ?? stream.nb_frames ?? 0);
  if (!(frameCount > 0)) {
    throw new VideoDecodeError({
      source: path,
      message: `${path} has a video stream with no decodable frames.`,
    });
  }
  const durationSec = Number(stream.duration ?? parsed.format?.duration ?? Number.NaN);
  const averageFps = rate(stream.avg_frame_rate);
  const fps =
    averageFps > 0 ? averageFps : durationSec > 0 ? frameCount / durationSec : rate(stream.r_frame_rate);
  const rotation =
    ((Math.round(
      stream.side_data_list?.find((d) => d.rotation !== undefined)?.rotation ??
        Number(stream.tags?.rotate ?? 0),
    ) %
      360) +
      360) %
    360;
  return {
    frameCount,
    fps,
    durationSec: Number.isFinite(durationSec) ? durationSec : frameCount / fps,
    width: stream.width ?? 0,
    height: stream.height ?? 0,
    rotation,
    codec: stream.codec_name ?? 'unknown',
  };
}
