import { KERNELS_SHARED_WASM_BASE64, KERNELS_WASM_BASE64 } from './kernels-wasm.js';

/** The exports of kernels.wat. */
export interface WasmKernels {
  readonly memory: WebAssembly.Memory;
  /**
   * The module of the shared-memory build, which helper threads instantiate on `memory`;
   * undefined where the memory is the instance's own (no SharedArrayBuffer here).
   */
  readonly sharedModule?: WebAssembly.Module;
  horizontal(
    src: number,
    srcRowBytes: number,
    rowCount: number,
    outWidth: number,
    bounds: number,
    pairs: number,
    pairStride: number,
    dst: number,
  ): void;
  vertical(
    src: number,
    rowBytes: number,
    outHeight: number,
    bounds: number,
    weights: number,
    taps: number,
    rowOffset: number,
    dst: number,
  ): void;
  normalize(
    src: number,
    srcRowBytes: number,
    width: number,
    height: number,
    tables: number,
    dst: number,
    planeBytes: number,
  ): void;
}

let kernels: WasmKernels | null | undefined;

function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

// The shared build where a shared memory can be made (Node; browsers only when cross-origin
// isolated), so that helper threads can run bands of a job (kernel-threads.ts).
function instantiateShared(): WasmKernels | null {
  try {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true });
    const module = new WebAssembly.Module(decodeBase64(KERNELS_SHARED_WASM_BASE64) as BufferSource);
    const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
    return { ...(exports as unknown as WasmKernels), memory, sharedModule: module };
  } catch {
    return null;
  }
}

function instantiateOwn(): WasmKernels | null {
  try {
    const module = new WebAssembly.Module(decodeBase64(KERNELS_WASM_BASE64) as BufferSource);
    return new WebAssembly.Instance(module, {}).exports as unknown as WasmKernels;
  } catch {
    return null;
  }
}

/**
 * The SIMD kernels, or null where WebAssembly SIMD is unavailable (the pure-TS code paths,
 * which compute the same bits, are used then). The module is under 1 KB, so synchronous compilation is allowed
 * even on a browser's main thread.
 * @internal
 */
export function loadWasmKernels(): WasmKernels | null {
  if (kernels !== undefined) return kernels;
  kernels = (typeof SharedArrayBuffer !== 'undefined' && instantiateShared()) || instantiateOwn();
  return kernels;
}

// The kernels read and write whole vectors past the end of each buffer.
const SLACK_BYTES = 16;

/**
 * The kernels' memory laid out for one job: regions are planned first (`take`), then the memory is
 * grown once (`reserve`), since growing detaches every view taken before.
 * @internal
 */
export class WasmArena {
  private end = 0;
  private buffer: ArrayBuffer | undefined;

  constructor(readonly kernels: WasmKernels) {}

  /** A 16-byte-aligned region of `bytes`, with the kernels' slack after it. */
  take(bytes: number): number {
    if (this.buffer) throw new Error('WasmArena: take() after reserve()');
    const start = this.end;
    this.end = (start + bytes + SLACK_BYTES + 15) & ~15;
    return start;
  }

  /** Grows the memory to hold every region taken; the memory's buffer, valid until the next job. */
  reserve(): ArrayBuffer {
    const { memory } = this.kernels;
    if (this.end > memory.buffer.byteLength) {
      memory.grow(Math.ceil((this.end - memory.buffer.byteLength) / 65536));
    }
    this.buffer = memory.buffer;
    return this.buffer;
  }

  /** The memory's buffer, once reserved. */
  get heap(): ArrayBuffer {
    if (!this.buffer) throw new Error('WasmArena: heap before reserve()');
    return this.buffer;
  }
}
