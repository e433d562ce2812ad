import {
  AbortedError,
  type BackendCapabilities,
  type BackendSession,
  BackendUnavailableError,
  checkRun,
  createTensor,
  DependencyMissingError,
  type DeviceTensor,
  type InferenceBackend,
  InvalidArgumentError,
  isTensorDataType,
  ModelLoadError,
  type ModelSource,
  probeModelBytes,
  type Tensor,
  type TensorDataType,
  type TensorMap,
  toRunError,
} from '@ivl/core';
import type * as ort from 'onnxruntime-web';

/** Devices onnxruntime-web can run on. */
export type WebDevice = 'webgpu' | 'wasm';

/** Settings of {@link createWebBackend}. */
export interface WebBackendSettings {
  /** A device, or devices to try in order. @default ['webgpu', 'wasm'] in browsers, 'wasm' in Node */
  readonly device?: WebDevice | readonly WebDevice[];
  /** WebAssembly threads (needs cross-origin isolation in browsers). @default 2 where allowed */
  readonly threads?: number;
  /** Where the `.wasm` files are served from (onnxruntime-web's `env.wasm.wasmPaths`). */
  readonly wasmPaths?: string;
  /** Extra ORT session options (advanced). */
  readonly sessionOptions?: ort.InferenceSession.SessionOptions;
}

/**
 * - webgpu: browsers with `navigator.gpu` (Chrome/Edge 113+, Safari 26+); outputs can stay on the GPU;
 * - wasm: everywhere, including Node; CPU speed, float16 emulated.
 */
const DEVICES: Readonly<
  Record<WebDevice, { readonly fp16: boolean; readonly deviceResident: boolean; readonly hint: string }>
> = Object.freeze({
  webgpu: {
    fp16: true,
    deviceResident: true,
    hint: 'Use a WebGPU-capable browser (navigator.gpu), or list "wasm" as a fallback.',
  },
  wasm: {
    fp16: false,
    deviceResident: false,
    hint: "Serve onnxruntime-web's .wasm files and set `wasmPaths` to their URL.",
  },
});

const isNode = typeof process !== 'undefined' && Boolean(process.versions?.node);

let ortModule: Promise<typeof ort> | undefined;
function loadOrt(device: WebDevice): Promise<typeof ort> {
  // The plain entry holds the wasm EP; the webgpu entry adds WebGPU (browsers only).
  ortModule ??= (
    device === 'webgpu' && !isNode ? import('onnxruntime-web/webgpu') : import('onnxruntime-web')
  ) as Promise<typeof ort>;
  return ortModule.then((module) => ((module as { default?: typeof ort }).default ?? module) as typeof ort);
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  if (isNode && !/^https?:/.test(url)) {
    // A computed specifier keeps browser bundlers from trying to resolve a Node built-in.
    const fsModule = 'node:fs/promises';
    const { readFile } = (await import(/* @vite-ignore */ fsModule)) as typeof import('node:fs/promises');
    return new Uint8Array(await readFile(url));
  }
  const response = await fetch(url);
  if (!response.ok)
    throw new ModelLoadError({ path: url, message: `Fetching ${url} answered HTTP ${response.status}.` });
  return new Uint8Array(await response.arrayBuffer());
}

/**
 * The ivl backend over onnxruntime-web.
 *
 * @example
 * ```ts
 * const backend = createWebBackend({ device: ['webgpu', 'wasm'], wasmPaths: '/ort/' });
 * ```
 */
export function createWebBackend(settings: WebBackendSettings = {}): InferenceBackend {
  const devices: readonly WebDevice[] =
    typeof settings.device === 'string'
      ? [settings.device]
      : (settings.device ?? (isNode ? ['wasm'] : ['webgpu', 'wasm']));
  const sessions = new Set<ort.InferenceSession>();
  let chosen: WebDevice | undefined;
  // WebGPU adapters without 'shader-f16' run float16 kernels into garbage (zeros) without an error.
  let webgpuHalf = false;
  let initPromise: Promise<void> | undefined;
  let module: typeof ort;

  const init = async () => {
    const failures: string[] = [];
    for (const device of devices) {
      if (!(device in DEVICES)) {
        failures.push(`unknown device "${device}". Available: ${Object.keys(DEVICES).join(', ')}`);
        continue;
      }
      try {
        if (device === 'webgpu') {
          const gpu =
            isNode || typeof navigator === 'undefined'
              ? undefined
              : (
                  navigator as {
                    gpu?: { requestAdapter(): Promise<{ features: ReadonlySet<string> } | null> };
                  }
                ).gpu;
          if (!gpu)
            throw new DependencyMissingError({ dependency: 'WebGPU', message: 'navigator.gpu is undefined' });
          const adapter = await gpu.requestAdapter();
          if (!adapter)
            throw new DependencyMissingError({
              dependency: 'WebGPU',
              message: 'navigator.gpu.requestAdapter() found no adapter',
            });
          webgpuHalf = adapter.features.has('shader-f16');
        }
        module = await loadOrt(device);
        const wasm = module.env.wasm as { numThreads?: number; wasmPaths?: string };
        wasm.numThreads =
          settings.threads ??
          (isNode || (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated ? 2 : 1);
        if (settings.wasmPaths) wasm.wasmPaths = settings.wasmPaths;
        const probe = await module.InferenceSession.create(probeModelBytes(), {
          executionProviders: [device],
        });
        await probe.release();
        chosen = device;
        return;
      } catch (error) {
        failures.push(
          `${error instanceof Error ? error.message.split('\n')[0] : String(error)}. ${DEVICES[device].hint}`,
        );
      }
    }
    throw new BackendUnavailableError({
      backendName: 'ort-web',
      device: devices.join(','),
      message:
        devices.length === 1
          ? `Device "${devices[0]}" of onnxruntime-web is unavailable: ${failures[0]}`
          : `None of the devices [${devices.join(', ')}] of onnxruntime-web is available:\n${failures.map((f, i) => `  - ${devices[i]}: ${f}`).join('\n')}`,
    });
  };

  const toOrt = (feeds: TensorMap): Record<string, ort.Tensor> => {
    const out: Record<string, ort.Tensor> = {};
    for (const [name, value] of Object.entries(feeds)) {
      out[name] =
        'kind' in value
          ? (value.handle as ort.Tensor)
          : new module.Tensor(value.dtype, value.data as never, value.dims as number[]);
    }
    return out;
  };

  const fromOrt = (name: string, tensor: ort.Tensor): Tensor | DeviceTensor => {
    if (!isTensorDataType(tensor.type))
      throw new InvalidArgumentError({
        argument: name,
        message: `Output "${name}" has type ${tensor.type}, which ivl does not handle.`,
      });
    if (tensor.location === 'gpu-buffer') {
      const device: DeviceTensor = {
        kind: 'device',
        dtype: tensor.type as TensorDataType,
        dims: tensor.dims,
        location: 'gpu-buffer',
        handle: tensor,
        async download() {
          const data = await tensor.getData();
          return createTensor(tensor.type as TensorDataType, tensor.dims, data as never);
        },
        dispose: () => tensor.dispose(),
      };
      return device;
    }
    return createTensor(tensor.type as TensorDataType, tensor.dims, tensor.data as never);
  };

  const backend: InferenceBackend = {
    specificationVersion: 'v1',
    name: 'ort-web',
    init() {
      initPromise ??= init().catch((error: unknown) => {
        initPromise = undefined;
        throw error;
      });
      return initPromise;
    },
    get capabilities(): BackendCapabilities {
      const device = chosen ?? devices[0] ?? 'wasm';
      return {
        device,
        fp16: device === 'webgpu' ? webgpuHalf : (DEVICES[device]?.fp16 ?? false),
        contribOps: true,
        deviceResidentOutputs: DEVICES[device]?.deviceResident ?? false,
      };
    },
    async createSession(source: ModelSource, options = {}) {
      await backend.init();
      if (options.signal?.aborted) throw new AbortedError({ cause: options.signal.reason });
      const described =
        typeof source === 'string'
          ? source
          : source instanceof Uint8Array
            ? `model bytes (${source.byteLength})`
            : typeof source.model === 'string'
              ? source.model
              : 'model bytes';
      const device = chosen!;
      const sessionOptions: ort.InferenceSession.SessionOptions = {
        executionProviders: [device],
        graphOptimizationLevel: 'all',
        ...settings.sessionOptions,
        ...(device === 'webgpu' &&
          options.deviceOutputs?.length && {
            preferredOutputLocation: Object.fromEntries(
              options.deviceOutputs.map((name) => [name, 'gpu-buffer' as const]),
            ),
          }),
      };
      let session: ort.InferenceSession;
      try {
        const model =
          typeof source === 'string'
            ? await fetchBytes(source)
            : source instanceof Uint8Array
              ? source
              : typeof source.model === 'string'
                ? await fetchBytes(source.model)
                : source.model;
        let externalData: { path: string; data: Uint8Array | string }[] = [];
        if (typeof source === 'object' && !(source instanceof Uint8Array) && source.externalData) {
          externalData = await Promise.all(
            source.externalData.map(async (entry) => ({
              path: entry.path,
              data: typeof entry.data === 'string' ? await fetchBytes(entry.data) : entry.data,
            })),
          );
        }
        session = await module.InferenceSession.create(model, {
          ...sessionOptions,
          ...(externalData.length && { externalData }),
        });
      } catch (error) {
        throw new ModelLoadError({
          path: described,
          message: `onnxruntime-web could not load ${described}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}.`,
          cause: error,
        });
      }
      sessions.add(session);
      let disposed = false;
      // Known once the device is chosen: whether float16 inputs are refused on it.
      const noFloat16 =
        chosen === 'webgpu' && !webgpuHalf
          ? { reason: 'this WebGPU adapter lacks the shader-f16 feature', otherDevice: 'wasm' }
          : undefined;
      const wrapped: BackendSession = {
        inputNames: session.inputNames,
        outputNames: session.outputNames,
        async run(feeds, runOptions = {}) {
          checkRun({
            disposed,
            described,
            inputNames: session.inputNames,
            feeds,
            signal: runOptions.signal,
            noFloat16,
          });
          let results: ort.InferenceSession.ReturnType;
          try {
            const ortFeeds = toOrt(feeds);
            results = runOptions.outputs
              ? await session.run(ortFeeds, [...runOptions.outputs])
              : await session.run(ortFeeds);
          } catch (error) {
            throw toRunError(error, { backend: `ort-web/${chosen}`, described });
          }
          return Object.fromEntries(
            Object.entries(results).map(([name, tensor]) => [name, fromOrt(name, tensor)]),
          );
        },
        async dispose() {
          if (disposed) return;
          disposed = true;
          sessions.delete(session);
          await session.release();
        },
      };
      return wrapped;
    },
    async dispose() {
      await Promise.all([...sessions].map((session) => session.release()));
      sessions.clear();
    },
  };
  return backend;
}
