import { KERNELS_WASM_BASE64 } from './kernels-wasm.js';

/** The exports of kernels.wat. */
export interface WasmKernels {
  readonly memory: WebAssembly.Memory;
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
  ): void;
}

let kernels: WasmKernels | null | undefined;

function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * The SIMD kernels, or null where WebAssembly SIMD is unavailable (the pure-TS code paths,
 * which compute the same bits, are used then). The module is under 1 KB, so synchronous compilation is allowed
 * even on a browser's main thread.
 * @internal
 */
export function loadWasmKernels(): WasmKernels | null {
  if (kernels !== undefined) return kernels;
  try {
    const module = new WebAssembly.Module(decodeBase64(KERNELS_WASM_BASE64) as BufferSource);
    kernels = new WebAssembly.Instance(module, {}).exports as unknown as WasmKernels;
  } catch {
    kernels = null;
  }
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
