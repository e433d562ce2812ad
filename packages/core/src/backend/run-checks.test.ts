import { describe, expect, it } from 'vitest';
import { AbortedError } from '../errors/aborted-error.js';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { SessionDisposedError } from '../errors/session-disposed-error.js';
import { ShapeMismatchError } from '../errors/shape-mismatch-error.js';
import { createTensor } from '../tensor/tensor.js';
import { checkRun } from './run-checks.js';

const failure = (run: () => void): unknown => {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
};

describe('checkRun', () => {
  const half = createTensor('float16', [2]);
  const ids = createTensor('int64', [1, 2]);
  const base = { disposed: false, described: 'decoder.onnx', inputNames: ['ids', 'half'] };

  it('should pass fed inputs, float16 included where the device computes in it', () => {
    expect(failure(() => checkRun({ ...base, feeds: { ids, half } }))).toBeUndefined();
  });

  it('should refuse a float16 input where the device cannot, naming it, the reason and the other device', () => {
    const error = failure(() =>
      checkRun({
        ...base,
        feeds: { ids, half },
        noFloat16: { reason: 'this WebGPU adapter lacks the shader-f16 feature', otherDevice: 'cpu' },
      }),
    );
    expect(InvalidArgumentError.isInstance(error)).toBe(true);
    expect((error as InvalidArgumentError).argument).toBe('half');
    expect((error as Error).message).toBe(
      'Input "half" is float16 but this WebGPU adapter lacks the shader-f16 feature. Convert it to float32 (or use an fp32 model), or use the cpu device.',
    );
    // Without a float16 input the same settings let it run.
    const floats = createTensor('float32', [2]);
    expect(
      failure(() =>
        checkRun({ ...base, feeds: { ids, half: floats }, noFloat16: { reason: 'no', otherDevice: 'cpu' } }),
      ),
    ).toBeUndefined();
  });

  it('should check disposal, then the signal, then missing inputs, before the float16 refusal', () => {
    const noFloat16 = { reason: 'no', otherDevice: 'cpu' };
    const aborted = AbortSignal.abort('stop');
    expect(
      SessionDisposedError.isInstance(
        failure(() => checkRun({ ...base, disposed: true, feeds: {}, signal: aborted, noFloat16 })),
      ),
    ).toBe(true);
    expect(
      AbortedError.isInstance(failure(() => checkRun({ ...base, feeds: {}, signal: aborted, noFloat16 }))),
    ).toBe(true);
    const missing = failure(() => checkRun({ ...base, feeds: { half }, noFloat16 }));
    expect(ShapeMismatchError.isInstance(missing)).toBe(true);
    expect((missing as Error).message).toBe('Missing inputs ids for decoder.onnx. Expected: ids, half.');
  });
});
