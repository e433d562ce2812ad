import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError, VideoDecodeError } from '@ivl/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { framesToPixelValues } from '../frames-to-pixel-values.js';
import { decodeFrames } from './decode-frames.js';
import { loadVideo, sampleVideoFrames } from './load-video.js';
import { probeVideo } from './probe-video.js';
import { fullDecode, makeTestVideos, type TestVideos } from './test-videos.js';

let videos: TestVideos;
beforeAll(() => {
  videos = makeTestVideos();
}, 120_000);
afterAll(() => rmSync(videos.dir, { recursive: true, force: true }));

describe('video limits', () => {
  it('should decode more than 100 distinct frames, byte for byte as ffmpeg decodes them', async () => {
    const indices = Array.from({ length: 140 }, (_, i) => i + 5); // frames 5…144 of 150
    const all = fullDecode(videos.h264);
    const frameBytes = 640 * 480 * 3;
    let count = 0;
    for await (const frame of decodeFrames(videos.h264, indices)) {
      expect(
        Buffer.compare(
          Buffer.from(frame.image.data),
          all.subarray(frame.index * frameBytes, (frame.index + 1) * frameBytes),
        ),
      ).toBe(0);
      count++;
    }
    expect(count).toBe(140);
  }, 60_000);

  it('should say how many frames a video has when asked for one past its end', async () => {
    const error = await (async () => {
      for await (const _ of decodeFrames(videos.h264, [3, 500])) {
        // drain
      }
    })().catch((e: unknown) => e);
    expect(VideoDecodeError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/Frame 500 is past the end of .*: it has 150 frames \(0…149\)/);
  });

  it('should refuse a frame count that cannot be held, with a typed error, before decoding', async () => {
    const error = await loadVideo(videos.h264, { segments: 10_000 }).catch((e: unknown) => e);
    expect(InvalidArgumentError.isInstance(error), String(error)).toBe(true);
    expect((error as Error).message).toMatch(
      /Can sample 1…\d+ frames of 448×448 into one pixel_values tensor, got 10000/,
    );
    // Frame by frame, 10 000 samples of a 150-frame video are fine (each frame repeats).
    const sampled = await sampleVideoFrames(videos.h264, { segments: 10_000 });
    expect(sampled.indices).toHaveLength(10_000);
    await sampled.frames.return(undefined);
    await expect(framesToPixelValues((async function* () {})(), 0, {})).rejects.toThrow(/got 0/);
  });

  it('should not call a damaged mp4 audio-only', async () => {
    const damaged = join(videos.dir, 'damaged.mp4');
    const bytes = readFileSync(videos.h264);
    // Scramble everything after the first box header.
    for (let i = 32; i < bytes.length; i++) bytes[i] = (bytes[i]! * 31 + i) & 255;
    writeFileSync(damaged, bytes);
    const error = await probeVideo(damaged).catch((e: unknown) => e);
    expect(VideoDecodeError.isInstance(error)).toBe(true);
    expect((error as Error).message).not.toMatch(/\(audio-only or not a video\)/);
    expect((error as Error).message).toMatch(/damaged|Cannot read video/);
  });
});
