// Runs inside headless Chromium (bundled by @ivl/browser-test); see decode-image.test.ts.
import { decodeImage, loadImage } from './index.js';

async function sha256(data: ArrayBufferView): Promise<string> {
  const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const digest = await crypto.subtle.digest('SHA-256', view.slice());
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

async function errorOf(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (error: Error) => `${error.name}: ${error.message}`,
  );
}

export default async function run(base: string) {
  const fetchBlob = async (name: string) => (await fetch(base + name)).blob();
  const files = [
    'decode-rgb.png',
    'decode-rgba.png',
    'decode-la.png',
    'decode-grey.png',
    'decode-palette.png',
    'decode-lossless.webp',
    'decode-baseline-420.jpg',
    'decode-progressive-444.jpg',
  ];
  const decoded: Record<string, { width: number; height: number; sha256: string }> = {};
  for (const name of files) {
    const image = await decodeImage(await fetchBlob(name));
    decoded[name] = { width: image.width, height: image.height, sha256: await sha256(image.data) };
  }
  const tiled = await loadImage(await fetchBlob('edges-1200x700.png'), { maxTiles: 12 });
  const imageData = new ImageData(new Uint8ClampedArray([1, 2, 3, 255, 4, 5, 6, 255]), 2, 1);
  const fromImageData = await decodeImage(imageData);
  return {
    decoded,
    tiled: {
      dims: tiled.dims,
      tileSha256: await Promise.all(tiled.tiles.map((t) => sha256(t.data))),
      pixelValuesSha256: await sha256(tiled.pixelValues.data),
    },
    imageData: Array.from(fromImageData.data),
    corruptError: await errorOf(decodeImage(new Blob([new Uint8Array([1, 2, 3])], { type: 'image/png' }))),
    tooLargeError: await errorOf(decodeImage(await fetchBlob('decode-rgb.png'), { maxPixels: 100 })),
  };
}
