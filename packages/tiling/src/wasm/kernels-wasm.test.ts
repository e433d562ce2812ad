import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain-JS build script without type declarations
import { assembleKernelsWasm } from '../../scripts/build-wasm.mjs';
import { KERNELS_SHARED_WASM_BASE64, KERNELS_WASM_BASE64 } from './kernels-wasm.js';
import { loadWasmKernels } from './load-kernels.js';

describe('kernels-wasm', () => {
  it('should be the assembly of the committed kernels.wat (run scripts/build-wasm.mjs after editing it)', async () => {
    expect(await assembleKernelsWasm()).toEqual({
      own: KERNELS_WASM_BASE64,
      shared: KERNELS_SHARED_WASM_BASE64,
    });
  });

  it('should load on this platform', () => {
    expect(loadWasmKernels()).not.toBeNull();
  });
});
