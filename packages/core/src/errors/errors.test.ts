import { describe, expect, it } from 'vitest';
import {
  AbortedError,
  ImageTooLargeError,
  InvalidArgumentError,
  IvlError,
  ShapeMismatchError,
  throwIfAborted,
} from './index.js';

describe('IvlError', () => {
  it('should recognise errors of its family by marker, not by prototype', () => {
    const error = new InvalidArgumentError({ argument: 'maxTiles', message: 'bad' });
    expect(IvlError.isInstance(error)).toBe(true);
    expect(InvalidArgumentError.isInstance(error)).toBe(true);
    expect(ShapeMismatchError.isInstance(error)).toBe(false);
    // A structural copy from a second install of @ivl/core carries the same registered symbols.
    const foreign = Object.assign(new Error('x'), {
      [Symbol.for('ivl.error')]: true,
      [Symbol.for('ivl.error.InvalidArgumentError')]: true,
    });
    expect(InvalidArgumentError.isInstance(foreign)).toBe(true);
    expect(IvlError.isInstance(new Error('plain'))).toBe(false);
    expect(IvlError.isInstance(null)).toBe(false);
  });

  it('should keep the name, typed fields and cause', () => {
    const cause = new Error('root');
    const error = new ShapeMismatchError({ message: 'm', expectedDims: [1, 2], actualDims: [3], cause });
    expect(error.name).toBe('ShapeMismatchError');
    expect(error.expectedDims).toEqual([1, 2]);
    expect(error.cause).toBe(cause);
    expect(error).toBeInstanceOf(Error);
  });

  it('should say the size and the limit for a too-large image', () => {
    const error = new ImageTooLargeError({ width: 30000, height: 20000, limitPixels: 178956970 });
    expect(error.message).toContain('30000×20000 = 600000000 pixels');
    expect(error.message).toContain('178956970');
  });

  it('should throw an AbortedError carrying the reason when the signal is aborted', () => {
    const controller = new AbortController();
    expect(() => throwIfAborted(controller.signal)).not.toThrow();
    controller.abort('stop');
    try {
      throwIfAborted(controller.signal);
      expect.unreachable();
    } catch (error) {
      expect(AbortedError.isInstance(error)).toBe(true);
      expect((error as AbortedError).cause).toBe('stop');
    }
  });
});

describe('toRunError', () => {
  it('should keep ivl errors, and name the backend and session of any other failure with a next step', async () => {
    const { toRunError } = await import('../backend/run-checks.js');
    const { InferenceError } = await import('./inference-error.js');
    const typed = new InvalidArgumentError({ argument: 'x', message: 'm' });
    expect(toRunError(typed, { backend: 'ort-node/cpu', described: 'a.onnx' })).toBe(typed);
    const oom = toRunError(new Error('std::bad_alloc\nat somewhere'), {
      backend: 'ort-node/cpu',
      described: 'a.onnx',
    });
    expect(InferenceError.isInstance(oom)).toBe(true);
    expect(oom.message).toMatch(
      /^Running a\.onnx on ort-node\/cpu failed: std::bad_alloc\. The device ran out of memory/,
    );
    const other = toRunError('boom', { backend: 'ort-web/wasm', described: 'b.onnx' });
    expect(other.message).toMatch(/failed: boom\. Check the dtypes and shapes/);
    expect((other as InstanceType<typeof InferenceError>).cause).toBe('boom');
  });
});
