import type { Tensor, TensorDataType } from '../tensor/tensor.js';

/**
 * Where a model comes from.
 *
 * - a `string`: a file path (Node) or a URL (browser, or Node with fetch);
 * - a `Uint8Array`: the bytes of an `.onnx` file;
 * - an object: either of those plus the external-data files the model refers to.
 *   Each `path` must equal the `location` recorded in the model.
 */
export type ModelSource =
  | string
  | Uint8Array
  | {
      readonly model: string | Uint8Array;
      readonly externalData?: readonly { readonly path: string; readonly data: string | Uint8Array }[];
    };

/**
 * A tensor that lives on the backend's device (a WebGPU buffer, CUDA memory).
 * Feeding it back into a session avoids a round trip through host memory.
 *
 * @remarks For backend authors: `handle` is opaque to every other package.
 */
export interface DeviceTensor<T extends TensorDataType = TensorDataType> {
  readonly kind: 'device';
  readonly dtype: T;
  readonly dims: readonly number[];
  /** Device kind, e.g. `gpu-buffer` or `cuda`. */
  readonly location: string;
  /** Copies the data to host memory. */
  download(): Promise<Tensor<T>>;
  /** Frees the device memory. Using the tensor afterwards is an error. */
  dispose(): void;
  /** The backend's own tensor object. @remarks For backend authors; opaque to every other package. */
  readonly handle: unknown;
}

/** Inputs or outputs of a session run, by ONNX name. */
export type TensorMap = Record<string, Tensor | DeviceTensor>;

/** Construction-time options of one session. */
export interface SessionOptions {
  /**
   * Output names the backend should leave on the device instead of copying to host memory.
   * Ignored (outputs come back as host {@link Tensor}s) when
   * {@link BackendCapabilities.deviceResidentOutputs} is false.
   */
  readonly deviceOutputs?: readonly string[];
  /** Threads for operators on CPU-like devices. @default the backend's setting */
  readonly threads?: number;
  /**
   * What a run's intermediate memory does after the run. `'keep'`: held for the next run (no
   * allocation per run: for sessions run often, such as the decoder). `'release'`: given back (for
   * sessions run rarely with large intermediates, such as the vision encoder, which would otherwise
   * hold their largest run's memory for the session's life). Backends without such control ignore it.
   * @default 'keep'
   */
  readonly runMemory?: 'keep' | 'release';
  /** Cancels loading. */
  readonly signal?: AbortSignal;
}

/** Per-call options of {@link BackendSession.run}. */
export interface RunOptions {
  /** Output names to compute; @default all of them */
  readonly outputs?: readonly string[];
  /** Checked before the run starts; a run in progress finishes. */
  readonly signal?: AbortSignal;
}

/** What a backend can do, so stage packages can pick the fast path. */
export interface BackendCapabilities {
  /** The device the backend actually runs on, e.g. `cpu`, `wasm`, `webgpu`, `cuda`. */
  readonly device: string;
  /** float16 inputs and weights run natively (not emulated). */
  readonly fp16: boolean;
  /** ONNX Runtime `com.microsoft` contrib ops are available. */
  readonly contribOps: boolean;
  /** Outputs can stay on the device as {@link DeviceTensor}s between runs. */
  readonly deviceResidentOutputs: boolean;
}

/**
 * A loaded model.
 */
export interface BackendSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /**
   * Runs the model.
   * @param feeds - one tensor per input name
   * @returns the requested outputs by name
   * @throws {ShapeMismatchError} when a feed has the wrong dtype or rank
   * @throws {AbortedError} when `options.signal` is already aborted
   */
  run(feeds: TensorMap, options?: RunOptions): Promise<TensorMap>;
  /** Frees the session and everything it holds. */
  dispose(): Promise<void>;
}

/**
 * The contract every backend implements (`@ivl/backend-node`, `@ivl/backend-web`).
 * Backends are created by factories with settings (`createNodeBackend({ device: 'cpu' })`);
 * nothing registers itself at import time.
 */
export interface InferenceBackend {
  readonly specificationVersion: 'v1';
  /** Stable id used in logs and errors, e.g. `ort-node`. */
  readonly name: string;
  /**
   * Prepares the backend (loads wasm, finds an adapter). Called once before the first session;
   * callers may call it early to fail fast.
   * @throws {BackendUnavailableError} when none of the requested devices can run here
   */
  init(): Promise<void>;
  /** Valid after {@link InferenceBackend.init} resolved. */
  readonly capabilities: BackendCapabilities;
  /**
   * Loads a model.
   * @throws {ModelLoadError} when the model or its external data is missing or malformed
   */
  createSession(model: ModelSource, options?: SessionOptions): Promise<BackendSession>;
  /** Frees every session this backend created. */
  dispose(): Promise<void>;
}
