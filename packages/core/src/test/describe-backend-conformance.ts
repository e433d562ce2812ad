import { describe, expect, it } from 'vitest';
import type { InferenceBackend, ModelSource } from '../backend/inference-backend.js';
import { AbortedError } from '../errors/aborted-error.js';
import { DisposedError } from '../errors/disposed-error.js';
import { InferenceError } from '../errors/inference-error.js';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { IvlError } from '../errors/ivl-error.js';
import { ModelLoadError } from '../errors/model-load-error.js';
import { SessionDisposedError } from '../errors/session-disposed-error.js';
import { float32ArrayToFloat16 } from '../tensor/float16.js';
import { createTensor, type Tensor } from '../tensor/tensor.js';

/** The tiny models of tooling/fixtures/onnx, as each platform loads them. */
export interface ConformanceFixtures {
  /** y = a + b (float32, dynamic length). */
  readonly add: ModelSource;
  /** y = table[ids], table [[0,1],[10,11],[20,21],[30,31]]. */
  readonly gather: ModelSource;
  /** y = x · [[1,2],[3,4],[5,6]] with the weight in external data. */
  readonly external: ModelSource;
  /** y = float32(x) for float16 x. */
  readonly castHalf: ModelSource;
  /** A model path or URL that does not exist. */
  readonly missing: ModelSource;
}

/**
 * The conformance suite every backend passes (vitest). Call it at the top level of a test file:
 * `describeBackendConformance('ort-node cpu', () => createNodeBackend(), fixtures)`.
 */
export function describeBackendConformance(
  name: string,
  createBackend: () => InferenceBackend,
  fixtures: ConformanceFixtures,
): void {
  describe(`backend conformance: ${name}`, () => {
    const withBackend = async (body: (backend: InferenceBackend) => Promise<void>) => {
      const backend = createBackend();
      await backend.init();
      try {
        await body(backend);
      } finally {
        await backend.dispose();
      }
    };

    it('should initialise and report its capabilities', () =>
      withBackend(async (backend) => {
        expect(backend.specificationVersion).toBe('v1');
        expect(typeof backend.name).toBe('string');
        expect(typeof backend.capabilities.device).toBe('string');
        expect(typeof backend.capabilities.fp16).toBe('boolean');
      }));

    it('should run a model from bytes or a path with dynamic shapes', () =>
      withBackend(async (backend) => {
        const session = await backend.createSession(fixtures.add);
        expect(session.inputNames).toEqual(['a', 'b']);
        expect(session.outputNames).toEqual(['y']);
        for (const length of [1, 5]) {
          const a = createTensor(
            'float32',
            [length],
            Float32Array.from({ length }, (_, i) => i + 0.5),
          );
          const b = createTensor(
            'float32',
            [length],
            Float32Array.from({ length }, (_, i) => 10 * i),
          );
          const { y } = await session.run({ a, b });
          expect((y as Tensor).dims).toEqual([length]);
          expect(Array.from((y as Tensor<'float32'>).data)).toEqual(
            Array.from({ length }, (_, i) => 11 * i + 0.5),
          );
        }
      }));

    it('should take int64 inputs', () =>
      withBackend(async (backend) => {
        const session = await backend.createSession(fixtures.gather);
        const { y } = await session.run({
          ids: createTensor('int64', [1, 3], BigInt64Array.from([3n, 0n, 2n])),
        });
        expect((y as Tensor).dims).toEqual([1, 3, 2]);
        expect(Array.from((y as Tensor<'float32'>).data)).toEqual([30, 31, 0, 1, 20, 21]);
      }));

    it('should load weights from external data', () =>
      withBackend(async (backend) => {
        const session = await backend.createSession(fixtures.external);
        const { y } = await session.run({ x: createTensor('float32', [1, 3], Float32Array.from([1, 1, 1])) });
        expect(Array.from((y as Tensor<'float32'>).data)).toEqual([9, 12]);
      }));

    it('should take float16 inputs as raw half bits (a WebGPU adapter without shader-f16: refuse them, typed)', () =>
      withBackend(async (backend) => {
        const session = await backend.createSession(fixtures.castHalf);
        const x = createTensor('float16', [3], float32ArrayToFloat16(Float32Array.from([1.5, -2, 65504])));
        if (backend.capabilities.device === 'webgpu' && !backend.capabilities.fp16) {
          const error = await session.run({ x }).catch((e: unknown) => e);
          expect(InvalidArgumentError.isInstance(error)).toBe(true);
          expect((error as Error).message).toMatch(
            /float16 but this WebGPU adapter lacks the shader-f16 feature/,
          );
          return;
        }
        const { y } = await session.run({ x });
        expect(Array.from((y as Tensor<'float32'>).data)).toEqual([1.5, -2, 65504]);
      }));

    it('should give typed errors for a missing model, a bad feed and an aborted run', () =>
      withBackend(async (backend) => {
        const missing = await backend.createSession(fixtures.missing).catch((e: unknown) => e);
        expect(ModelLoadError.isInstance(missing)).toBe(true);
        const session = await backend.createSession(fixtures.add);
        const wrongType = await session
          .run({ a: createTensor('int32', [1]), b: createTensor('int32', [1]) })
          .catch((e: unknown) => e);
        // A failure inside onnxruntime (int32 where float32 is wanted) names the backend and session.
        expect(InferenceError.isInstance(wrongType), String(wrongType)).toBe(true);
        expect((wrongType as InferenceError).backend).toMatch(/^ort-/);
        expect((wrongType as Error).message).toMatch(/^Running .* on ort-\w+\/\w+ failed: /);
        const absent = await session.run({ a: createTensor('float32', [1]) }).catch((e: unknown) => e);
        expect(IvlError.isInstance(absent)).toBe(true);
        expect((absent as Error).message).toMatch(/b/);
        const controller = new AbortController();
        controller.abort();
        const aborted = await session
          .run(
            { a: createTensor('float32', [1]), b: createTensor('float32', [1]) },
            { signal: controller.signal },
          )
          .catch((e: unknown) => e);
        expect(AbortedError.isInstance(aborted)).toBe(true);
      }));

    it('should refuse to run a disposed session', () =>
      withBackend(async (backend) => {
        const session = await backend.createSession(fixtures.add);
        await session.dispose();
        const error = await session
          .run({ a: createTensor('float32', [1]), b: createTensor('float32', [1]) })
          .catch((e: unknown) => e);
        expect(SessionDisposedError.isInstance(error), String(error)).toBe(true);
        expect(DisposedError.isInstance(error)).toBe(true);
      }));
  });
}
