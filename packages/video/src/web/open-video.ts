import { DependencyMissingError, throwIfAborted, VideoDecodeError } from '@ivl/core';
import type { InputVideoTrack } from 'mediabunny';
import type { VideoInfo } from '../video-types.js';

/** What the web entry reads: a `File`/`Blob`, or a URL of a video. */
export type WebVideoInput = Blob | string | URL;

type Mediabunny = typeof import('mediabunny');
let mediabunny: Promise<Mediabunny> | undefined;

/** @internal */
export function loadMediabunny(): Promise<Mediabunny> {
  mediabunny ??= import('mediabunny').catch((error: unknown) => {
    mediabunny = undefined;
    throw new DependencyMissingError({
      dependency: 'mediabunny',
      message:
        'Reading videos in the browser needs the optional peer dependency `mediabunny` (npm i mediabunny).',
      cause: error,
    });
  });
  return mediabunny;
}

/** @internal */
export function describeInput(input: WebVideoInput): string {
  return typeof input === 'string' || input instanceof URL
    ? String(input)
    : `Blob (${input.type || 'unknown type'}, ${input.size} bytes)`;
}

/** An opened video: its track, the presentation timestamp of every frame, and what a probe reports. */
export interface OpenedVideo {
  readonly info: VideoInfo;
  /** Start time in seconds of every frame, in presentation order (frame index → time). */
  readonly frameTimestamps: readonly number[];
  readonly track: InputVideoTrack;
  dispose(): void;
}

/**
 * Demuxes a video (MP4, WebM, MKV, …; with mediabunny) and lists its frames. Frame indices are
 * presentation order, as in decord and `@ivl/video/node`.
 * @internal
 */
export async function openVideo(input: WebVideoInput, signal?: AbortSignal): Promise<OpenedVideo> {
  throwIfAborted(signal);
  const { Input, ALL_FORMATS, BlobSource, UrlSource, EncodedPacketSink } = await loadMediabunny();
  const source = describeInput(input);
  const opened = new Input({
    formats: ALL_FORMATS,
    source: input instanceof Blob ? new BlobSource(input) : new UrlSource(String(input)),
  });
  try {
    const track = await opened.getPrimaryVideoTrack();
    if (!track)
      throw new VideoDecodeError({
        source,
        message: `${source} has no video stream (audio-only or not a video).`,
      });
    const frameTimestamps: number[] = [];
    const packets = new EncodedPacketSink(track);
    for await (const packet of packets.packets(undefined, undefined, { metadataOnly: true })) {
      throwIfAborted(signal);
      frameTimestamps.push(packet.timestamp);
    }
    frameTimestamps.sort((a, b) => a - b);
    if (frameTimestamps.length === 0)
      throw new VideoDecodeError({ source, message: `${source} has a video stream with no frames.` });
    const durationSec = await opened.computeDuration([track]);
    const first = frameTimestamps[0]!;
    const fps = durationSec - first > 0 ? frameTimestamps.length / (durationSec - first) : 1;
    const info: VideoInfo = {
      frameCount: frameTimestamps.length,
      fps,
      durationSec,
      width: await track.getCodedWidth(),
      height: await track.getCodedHeight(),
      rotation: await track.getRotation(),
      codec: (await track.getCodec()) ?? 'unknown',
    };
    return { info, frameTimestamps, track, dispose: () => opened.dispose() };
  } catch (error) {
    opened.dispose();
    if (VideoDecodeError.isInstance(error) || signal?.aborted) throw error;
    throw new VideoDecodeError({
      source,
      message: `Cannot read video ${source}: ${error instanceof Error ? error.message : String(error)}. Expected an MP4, WebM or MKV file.`,
      cause: error,
    });
  }
}
