import { createNodeBackend } from '@ivl/backend-node';
import { createWebBackend } from '@ivl/backend-web';
import {
  AbortedError,
  createTensor,
  float16BitsToFloat32,
  float32ArrayToFloat16,
  type InferenceBackend,
  InvalidArgumentError,
  ShapeMismatchError,
} from '@ivl/core';
import { loadCheckpointWeights, readReferenceConfig, visionForward } from '@ivl/reference';
import { partSourceOf, tinyModel } from '@ivl/test-models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeImages } from './encode-images.js';

const TOLERANCE = 1e-4; // fp32 ONNX vs the float64 reference (DESIGN.md §4)
const plane = 3 * 448 * 448;

function seededPixels(count: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 4294967296) * 4 - 2;
  }
  return out;
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
};

describe.each([
  ['ort-node cpu', () => createNodeBackend({ device: 'cpu' })],
  ['ort-web wasm', () => createWebBackend({ device: 'wasm' })],
] as [string, () => InferenceBackend][])('encodeImages on %s', (_, createBackend) => {
  let backend: InferenceBackend;
  let paths: { checkpoint: string; model: string };
  beforeAll(async () => {
    paths = await tinyModel('tiny-qwen2');
    backend = createBackend();
  }, 300_000);
  afterAll(() => backend.dispose());

  it('should give the same features in micro-batches as in one batch, and match the reference', async () => {
    const session = await backend.createSession(partSourceOf(paths.model, 'vision_encoder'));
    const pixelValues = createTensor('float32', [3, 3, 448, 448], seededPixels(3 * plane, 5));
    const progress: number[] = [];
    const whole = await encodeImages(session, pixelValues, { microBatchSize: 3 });
    const ones = await encodeImages(session, pixelValues, {
      microBatchSize: 1,
      onProgress: (done) => progress.push(done),
    });
    const pairs = await encodeImages(session, pixelValues, { microBatchSize: 2 });
    expect(whole.dims).toEqual([3, 1024, 32]);
    expect(progress).toEqual([1, 2, 3]);
    // Batching changes no arithmetic per tile; measured 0 here, held to float32 noise.
    expect(maxAbsDiff(ones.data, whole.data)).toBeLessThanOrEqual(1e-6);
    expect(maxAbsDiff(pairs.data, whole.data)).toBeLessThanOrEqual(1e-6);
    const reference = loadCheckpointWeights(paths.checkpoint);
    const expected = visionForward(
      readReferenceConfig(reference.config),
      reference.weights,
      pixelValues.data.subarray(plane, 2 * plane),
    );
    expect(maxAbsDiff(whole.data.subarray(1024 * 32, 2 * 1024 * 32), expected)).toBeLessThanOrEqual(
      TOLERANCE,
    );
  });

  it('should convert float16 pixel values for a float32 model exactly', async () => {
    const session = await backend.createSession(partSourceOf(paths.model, 'vision_encoder'));
    const half = float32ArrayToFloat16(seededPixels(plane, 9));
    const fromHalf = await encodeImages(session, createTensor('float16', [1, 3, 448, 448], half));
    const fromFloat = await encodeImages(
      session,
      createTensor('float32', [1, 3, 448, 448], Float32Array.from(half, float16BitsToFloat32)),
    );
    expect(maxAbsDiff(fromHalf.data, fromFloat.data)).toBe(0);
  });

  it('should refuse bad input and stop when aborted', async () => {
    const session = await backend.createSession(partSourceOf(paths.model, 'vision_encoder'));
    await expect(encodeImages(session, createTensor('float32', [1, 4, 448, 448]))).rejects.toThrow(
      ShapeMismatchError,
    );
    await expect(
      encodeImages(session, createTensor('float32', [1, 3, 448, 448]), { microBatchSize: 0 }),
    ).rejects.toThrow(InvalidArgumentError);
    const controller = new AbortController();
    controller.abort();
    const error = await encodeImages(session, createTensor('float32', [2, 3, 448, 448]), {
      signal: controller.signal,
    }).catch((e: unknown) => e);
    expect(AbortedError.isInstance(error)).toBe(true);
  });
});
