// Runs inside headless Chromium (bundled by @ivl/browser-test); see decode-frames.test.ts.
import { decodeFrames, loadVideo, probeVideo } from './index.js';

function toBase64(data: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < data.length; i += 0x8000)
    binary += String.fromCharCode(...data.subarray(i, i + 0x8000));
  return btoa(binary);
}

async function errorOf(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (error: Error) => `${error.name}: ${error.message}`,
  );
}

export default async function run(base: string) {
  const results: Record<string, unknown> = {};
  for (const name of ['h264.mp4', 'vp9.webm']) {
    const blob = await (await fetch(base + name)).blob();
    const info = await probeVideo(blob);
    const indices = [0, 3, 3, Math.floor(info.frameCount / 2), info.frameCount - 1];
    const frames = [];
    let error: string | undefined;
    try {
      for await (const frame of decodeFrames(blob, indices))
        frames.push({ index: frame.index, width: frame.image.width, rgb: toBase64(frame.image.data) });
    } catch (e) {
      error = `${(e as Error).name}: ${(e as Error).message}`;
    }
    const video = error ? undefined : await loadVideo(base + name, { segments: 4 });
    results[name] = {
      info,
      frames,
      error,
      video: video && { indices: video.indices, dims: video.pixelValues.dims },
    };
  }
  results.audioOnly = await errorOf(probeVideo(await (await fetch(`${base}tone.m4a`)).blob()));
  results.corrupt = await errorOf(
    probeVideo(new Blob([new Uint8Array(4000).fill(90)], { type: 'video/mp4' })),
  );
  const controller = new AbortController();
  controller.abort();
  results.aborted = await errorOf(loadVideo(`${base}vp9.webm`, { signal: controller.signal }));
  return results;
}
