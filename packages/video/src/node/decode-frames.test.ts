import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { AbortedError, DependencyMissingError, InvalidArgumentError, VideoDecodeError } from '@ivl/core';
import { tileImage } from '@ivl/tiling';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeFrames } from './decode-frames.js';
import { loadVideo } from './load-video.js';
import { probeVideo } from './probe-video.js';
import { fullDecode, makeTestVideos, type TestVideos } from './test-videos.js';

let videos: TestVideos;
beforeAll(() => {
  videos = makeTestVideos();
}, 120_000);
afterAll(() => rmSync(videos.dir, { recursive: true, force: true }));

const bytesOf = (view: ArrayBufferView) => Buffer.from(view.buffer, view.byteOffset, view.byteLength);

async function collect(path: string, indices: number[], options = {}) {
  const frames = [];
  for await (const frame of decodeFrames(path, indices, options)) frames.push(frame);
  return frames;
}

describe('probeVideo', () => {
  it('should read frame count, fps, size and codec', async () => {
    expect(await probeVideo(videos.h264)).toMatchObject({
      frameCount: 150,
      fps: 30,
      width: 640,
      height: 480,
      rotation: 0,
      codec: 'h264',
    });
    expect(await probeVideo(videos.vp9)).toMatchObject({
      frameCount: 72,
      fps: 24,
      width: 320,
      height: 240,
      codec: 'vp9',
    });
  });

  it('should count the frames of a variable-frame-rate video from its packets', async () => {
    const info = await probeVideo(videos.vfr);
    expect(info.frameCount).toBe(15); // 10 frames in the first second, then every 4th of 20
    expect(info.fps).toBeGreaterThan(0);
  });

  it('should report rotation without applying it', async () => {
    expect(await probeVideo(videos.rotated)).toMatchObject({ width: 640, height: 480, rotation: 90 });
  });

  it('should give typed errors for audio-only, corrupt and missing files, and for missing ffprobe', async () => {
    await expect(probeVideo(videos.audioOnly)).rejects.toThrow(/has no video stream/);
    const corrupt = await probeVideo(videos.corrupt).catch((e: unknown) => e);
    expect(VideoDecodeError.isInstance(corrupt)).toBe(true);
    await expect(probeVideo('/nonexistent/video.mp4')).rejects.toThrow(/Video file not found/);
    const missing = await probeVideo(videos.h264, { ffprobePath: '/nonexistent/ffprobe' }).catch(
      (e: unknown) => e,
    );
    expect(DependencyMissingError.isInstance(missing)).toBe(true);
    expect((missing as Error).message).toMatch(/apt-get install -y ffmpeg/);
  });
});

describe('decodeFrames', () => {
  it.each(['h264', 'vp9', 'vfr'] as const)(
    'should equal ffmpeg’s own full decode at the same indices, byte for byte (%s)',
    async (kind) => {
      const path = videos[kind];
      const { frameCount, width, height } = await probeVideo(path);
      const all = fullDecode(path);
      const frameBytes = width * height * 3;
      expect(all.length).toBe(frameCount * frameBytes);
      const indices = [0, 1, Math.floor(frameCount / 3), frameCount - 2, frameCount - 1];
      const frames = await collect(path, indices);
      expect(frames.map((f) => f.index)).toEqual(indices);
      for (const frame of frames) {
        expect(frame.image.width).toBe(width);
        expect(
          Buffer.compare(
            Buffer.from(frame.image.data),
            all.subarray(frame.index * frameBytes, (frame.index + 1) * frameBytes),
          ),
        ).toBe(0);
      }
    },
  );

  it('should repeat duplicate indices and follow an unsorted order', async () => {
    const sorted = await collect(videos.vp9, [3, 3, 7]);
    expect(sorted.map((f) => f.index)).toEqual([3, 3, 7]);
    expect(sorted[0]!.image.data).toEqual(sorted[1]!.image.data);
    expect(sorted[0]!.image.data).not.toBe(sorted[1]!.image.data);
    const unsorted = await collect(videos.vp9, [7, 3, 7]);
    expect(unsorted.map((f) => f.index)).toEqual([7, 3, 7]);
    expect(unsorted[1]!.image.data).toEqual(sorted[0]!.image.data);
  });

  it('should refuse indices past the end and negative ones', async () => {
    await expect(collect(videos.vp9, [10, 72])).rejects.toThrow(/Frame 72 is past the end/);
    await expect(collect(videos.vp9, [-1])).rejects.toThrow(InvalidArgumentError);
  });

  it('should say when ffmpeg is missing', async () => {
    const error = await collect(videos.vp9, [0], {
      ffmpegPath: '/nonexistent/ffmpeg',
      width: 320,
      height: 240,
    }).catch((e: unknown) => e);
    expect(DependencyMissingError.isInstance(error)).toBe(true);
  });

  it('should kill ffmpeg when the signal aborts mid-decode', async () => {
    const controller = new AbortController();
    const started = performance.now();
    const pending = collect(videos.h264, [0, 149], { signal: controller.signal });
    setTimeout(() => controller.abort('user'), 50);
    const error = await pending.catch((e: unknown) => e);
    expect(AbortedError.isInstance(error)).toBe(true);
    expect(performance.now() - started).toBeLessThan(2000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const running = execFileSync('ps', ['-eo', 'args'])
      .toString()
      .split('\n')
      .filter((line) => line.includes(videos.h264) && line.startsWith('ffmpeg'));
    expect(running).toEqual([]);
  });
});

describe('loadVideo', () => {
  it('should sample get_index frames and tile each to one 448 tile, equal to tiling the reference frames', async () => {
    const video = await loadVideo(videos.h264, { segments: 8 });
    expect(video.indices).toEqual([9, 28, 46, 65, 83, 102, 121, 139]); // get_index(None, 30, 149, 0, 8) in Python
    expect(video.pixelValues.dims).toEqual([8, 3, 448, 448]);
    expect(video.numTilesList).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
    const all = fullDecode(videos.h264);
    const frameBytes = 640 * 480 * 3;
    const plane = 3 * 448 * 448;
    for (const [position, index] of [
      [0, 9],
      [7, 139],
    ] as const) {
      const data = new Uint8Array(all.subarray(index * frameBytes, (index + 1) * frameBytes));
      const expected = tileImage({ width: 640, height: 480, data }, { maxTiles: 1 }).pixelValues.data;
      const actual = video.pixelValues.data.subarray(position * plane, (position + 1) * plane);
      expect(bytesOf(actual).equals(bytesOf(expected))).toBe(true);
    }
  });

  it('should honour a bound and refuse one outside the video', async () => {
    const video = await loadVideo(videos.h264, { segments: 4, bound: [1, 2] });
    expect(video.indices).toEqual([33, 41, 48, 55]); // get_index((1, 2), 30, 149, 0, 4) in Python
    await expect(loadVideo(videos.h264, { bound: [10, 12] })).rejects.toThrow(/selects no frame/);
  });
});
