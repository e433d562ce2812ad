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
    weights: number,
    taps: number,
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
    pixels: number,
    dst: number,
    mean0: number,
    mean1: number,
    mean2: number,
    std0: number,
    std1: number,
    std2: number,
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

/**
 * Bytes of the kernels' memory, grown to at least `bytes`. Views taken earlier are detached by a grow.
 * @internal
 */
export function reserveWasmMemory(kernels: WasmKernels, bytes: number): ArrayBuffer {
  const { memory } = kernels;
  if (bytes > memory.buffer.byteLength) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / 65536));
  return memory.buffer;
}
