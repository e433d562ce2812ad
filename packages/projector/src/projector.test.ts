import { createNodeBackend } from '@ivl/backend-node';
import { createWebBackend } from '@ivl/backend-web';
import { createTensor, type InferenceBackend, ShapeMismatchError } from '@ivl/core';
import {
  loadCheckpointWeights,
  pixelShuffleReference,
  projectorForward,
  readReferenceConfig,
} from '@ivl/reference';
import { partSourceOf, tinyModel } from '@ivl/test-models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pixelShuffle } from './pixel-shuffle.js';
import { projectEmbeddings } from './project-embeddings.js';

function seeded(count: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 4294967296) * 2 - 1;
  }
  return out;
}

describe('pixelShuffle', () => {
  it('should equal the closed form of internvl-spec §6.1 exactly', () => {
    const features = createTensor('float32', [2, 1024, 8], seeded(2 * 1024 * 8, 1));
    const shuffled = pixelShuffle(features);
    expect(shuffled.dims).toEqual([2, 256, 32]);
    for (let tile = 0; tile < 2; tile++) {
      const expected = pixelShuffleReference(
        Float64Array.from(features.data.subarray(tile * 8192, (tile + 1) * 8192)),
        32,
        8,
      );
      expect(Array.from(shuffled.data.subarray(tile * 8192, (tile + 1) * 8192))).toEqual(
        Array.from(expected),
      );
    }
  });

  it('should put (dy, dx, c) in the channel axis: token 0 holds patches 0, 1, 32, 33', () => {
    const grid = 4;
    const features = createTensor(
      'float32',
      [1, grid * grid, 1],
      Float32Array.from({ length: grid * grid }, (_, i) => i),
    );
    expect(Array.from(pixelShuffle(features).data.subarray(0, 4))).toEqual([0, 1, 4, 5]);
  });

  it('should refuse a token count that is not an even square', () => {
    expect(() => pixelShuffle(createTensor('float32', [1, 1000, 4]))).toThrow(ShapeMismatchError);
  });
});

describe.each([
  ['ort-node cpu', () => createNodeBackend({ device: 'cpu' })],
  ['ort-web wasm', () => createWebBackend({ device: 'wasm' })],
] as [string, () => InferenceBackend][])('projectEmbeddings on %s', (_, createBackend) => {
  let backend: InferenceBackend;
  let paths: { checkpoint: string; model: string };
  beforeAll(async () => {
    paths = await tinyModel('tiny-qwen2');
    backend = createBackend();
  }, 300_000);
  afterAll(() => backend.dispose());

  it('should match the reference pixel shuffle + mlp1 within 1e-4', async () => {
    const session = await backend.createSession(partSourceOf(paths.model, 'projector'));
    const features = createTensor('float32', [2, 1024, 32], seeded(2 * 1024 * 32, 4));
    const embeds = await projectEmbeddings(session, features);
    expect(embeds.dims).toEqual([2, 256, 64]);
    const reference = loadCheckpointWeights(paths.checkpoint);
    const config = readReferenceConfig(reference.config);
    let max = 0;
    for (let tile = 0; tile < 2; tile++) {
      const expected = projectorForward(
        config,
        reference.weights,
        pixelShuffleReference(
          Float64Array.from(features.data.subarray(tile * 32768, (tile + 1) * 32768)),
          32,
          32,
        ),
      );
      for (let i = 0; i < expected.length; i++)
        max = Math.max(max, Math.abs(embeds.data[tile * 256 * 64 + i]! - expected[i]!));
    }
    expect(max).toBeLessThanOrEqual(1e-4);
  });
});
