import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type BackendCapabilities,
  type BackendSession,
  BackendUnavailableError,
  checkRun,
  type InferenceBackend,
  ModelLoadError,
  type ModelSource,
  probeModelBytes,
  type SessionOptions,
  type Tensor,
  type TensorDataType,
  throwIfAborted,
  toRunError,
} from '@ivl/core';
import type * as ort from 'onnxruntime-node';
import { castHalfModelBytes, identityModelBytes, type ModelDtype } from './one-node-models.js';
import { fromOrtDeviceTensor, fromOrtTensor, toOrtFeeds } from './ort-tensors.js';

/** Devices onnxruntime-node can run on. */
export type NodeDevice = 'cpu' | 'cuda' | 'webgpu';

/** Settings of {@link createNodeBackend}. */
export interface NodeBackendSettings {
  /** A device, or devices to try in order (the first that initialises is used). @default 'cpu' */
  readonly device?: NodeDevice | readonly NodeDevice[];
  /** Intra-op threads for CPU work. @default 2 */
  readonly threads?: number;
  /** Extra ORT session options (advanced). */
  readonly sessionOptions?: ort.InferenceSession.SessionOptions;
}

/**
 * Execution providers per device, and what each needs:
 * - cpu: bundled everywhere;
 * - cuda: Linux x64 with NVIDIA drivers; onnxruntime-node's install script downloads the CUDA
 *   libraries (allow it to run, e.g. pnpm `allowBuilds: { onnxruntime-node: true }`);
 * - webgpu: bundled (Dawn); needs a GPU adapter (Vulkan on Linux, D3D12 on Windows, Metal on macOS).
 *   Outputs can stay in GPU buffers between runs (`deviceOutputs`: onnxruntime-node binds them as
 *   `gpu-buffer`, its only device location).
 */
const DEVICES: Readonly<
  Record<
    NodeDevice,
    {
      readonly providers: readonly string[];
      readonly fp16: boolean;
      readonly deviceResident: boolean;
      readonly hint: string;
    }
  >
> = Object.freeze({
  cpu: {
    providers: ['cpu'],
    fp16: false,
    deviceResident: false,
    hint: 'The CPU provider is bundled with onnxruntime-node; reinstall onnxruntime-node.',
  },
  cuda: {
    providers: ['cuda'],
    fp16: true,
    deviceResident: false,
    hint: 'Install the CUDA libraries: let onnxruntime-node run its install script (pnpm: allowBuilds onnxruntime-node: true), on Linux x64 with an NVIDIA driver. Or list "cpu" as a fallback.',
  },
  webgpu: {
    providers: ['webgpu'],
    fp16: true,
    deviceResident: true,
    hint: 'No WebGPU adapter was found: a GPU with Vulkan (Linux), D3D12 (Windows) or Metal (macOS) drivers is needed. Or list "cpu" as a fallback.',
  },
});

let ortModule: Promise<typeof ort> | undefined;
function loadOrt(): Promise<typeof ort> {
  ortModule ??= import('onnxruntime-node').then(
    (module) => ((module as { default?: typeof ort }).default ?? module) as typeof ort,
  );
  return ortModule;
}

/**
 * Why CUDA cannot load here, when its provider libraries are not beside onnxruntime-node's
 * binding (its install script downloads them for Linux x64 and Windows x64); undefined when they are.
 */
function missingCudaLibraries(): string | undefined {
  const names: Partial<Record<NodeJS.Platform, readonly string[]>> = {
    linux: ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'],
    win32: ['onnxruntime_providers_shared.dll', 'onnxruntime_providers_cuda.dll'],
  };
  const wanted = process.arch === 'x64' ? names[process.platform] : undefined;
  if (!wanted) return `onnxruntime-node has no CUDA build for ${process.platform}-${process.arch}`;
  let main: string;
  try {
    // ESM build: import.meta.resolve; CJS build (where import.meta is empty): require.resolve.
    main =
      typeof import.meta.resolve === 'function'
        ? fileURLToPath(import.meta.resolve('onnxruntime-node'))
        : require.resolve('onnxruntime-node');
  } catch {
    return undefined; // let onnxruntime say what is wrong
  }
  const root = main.slice(0, main.lastIndexOf(`${sep}dist${sep}`));
  const binaries = join(root, 'bin', 'napi-v6', process.platform, process.arch);
  const absent = wanted.filter((name) => !existsSync(join(binaries, name)));
  return absent.length > 0
    ? `the CUDA provider libraries are not installed (${absent.join(', ')} missing in ${binaries})`
    : undefined;
}

/** Whether float16 kernels run on a device: a one-node Cast from float16, run once. */
async function runsFloat16(
  module: typeof ort,
  options: ort.InferenceSession.SessionOptions,
): Promise<boolean> {
  try {
    // Fatal messages only: an adapter without shader-f16 is an answer here, not an error to print.
    const session = await module.InferenceSession.create(castHalfModelBytes(), {
      ...options,
      logSeverityLevel: 4,
    });
    try {
      // 0x3c00 is 1.0 in half precision.
      const { y } = await session.run({ x: new module.Tensor('float16', Uint16Array.of(0x3c00), [1]) });
      return y?.data[0] === 1;
    } finally {
      await session.release();
    }
  } catch {
    return false;
  }
}

function describeSource(source: ModelSource): string {
  if (typeof source === 'string') return source;
  if (source instanceof Uint8Array) return `model bytes (${source.byteLength})`;
  return typeof source.model === 'string' ? source.model : `model bytes (${source.model.byteLength})`;
}

/**
 * The ivl backend over onnxruntime-node.
 *
 * @example
 * ```ts
 * const backend = createNodeBackend({ device: ['cuda', 'cpu'] }); // CUDA when available, else CPU
 * await backend.init();
 * backend.capabilities.device; // 'cpu' on a machine without CUDA
 * ```
 */
export function createNodeBackend(settings: NodeBackendSettings = {}): InferenceBackend {
  const devices: readonly NodeDevice[] =
    typeof settings.device === 'string' ? [settings.device] : (settings.device ?? ['cpu']);
  const threads = settings.threads ?? 2;
  const sessions = new Set<ort.InferenceSession>();
  let chosen: NodeDevice | undefined;
  let initPromise: Promise<void> | undefined;
  // Whether the WebGPU adapter has shader-f16 (probed in init): without it no float16 kernel runs.
  let webgpuHalf = false;
  // Per dtype, a session of identityModelBytes on the chosen device with its output in host
  // memory: what copies a device tensor back (made on first use).
  const identities = new Map<ModelDtype, Promise<ort.InferenceSession>>();

  const sessionOptions = (
    device: NodeDevice,
    runMemory: SessionOptions['runMemory'] = 'keep',
  ): ort.InferenceSession.SessionOptions => ({
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    // onnxruntime's memory pattern plans one block for a run's intermediates on the second run
    // with the same shapes, while its arena keeps the first run's: a second copy for the session's
    // life (+600 MB for a 4-tile vision run, measured; speed the same without it on CPU).
    ...(device === 'cpu' && { enableMemPattern: false }),
    // Without the arena, intermediates are allocated per run and freed after it (the C library
    // returns blocks this large to the system): ~160 MB less held after a vision tile, at no
    // measurable cost to a 4-second run; the decoder's 30 ms steps keep it (they lose ~20 % without).
    ...(device === 'cpu' && runMemory === 'release' && { enableCpuMemArena: false }),
    ...settings.sessionOptions,
    executionProviders: [...DEVICES[device].providers] as ort.InferenceSession.ExecutionProviderConfig[],
  });

  const init = async () => {
    const module = await loadOrt();
    const failures: string[] = [];
    for (const device of devices) {
      if (!(device in DEVICES)) {
        failures.push(`${device}: unknown device. Available: ${Object.keys(DEVICES).join(', ')}`);
        continue;
      }
      // Without its provider libraries CUDA cannot load: say so without asking onnxruntime, whose
      // native loader would print a red error line before the fallback is tried.
      const missing = device === 'cuda' ? missingCudaLibraries() : undefined;
      if (missing) {
        failures.push(`cuda: ${missing}. ${DEVICES.cuda.hint}`);
        if (devices.length === 1) {
          throw new BackendUnavailableError({
            backendName: 'ort-node',
            device,
            message: `Device "cuda" of onnxruntime-node is unavailable: ${missing}. ${DEVICES.cuda.hint}`,
          });
        }
        continue;
      }
      try {
        const probe = await module.InferenceSession.create(probeModelBytes(), sessionOptions(device));
        await probe.release();
        if (device === 'webgpu') webgpuHalf = await runsFloat16(module, sessionOptions(device));
        chosen = device;
        return;
      } catch (error) {
        failures.push(
          `${device}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}. ${DEVICES[device].hint}`,
        );
        if (devices.length === 1) {
          throw new BackendUnavailableError({
            backendName: 'ort-node',
            device,
            message: `Device "${device}" of onnxruntime-node is unavailable: ${failures[0]!.slice(device.length + 2)}`,
            cause: error,
          });
        }
      }
    }
    throw new BackendUnavailableError({
      backendName: 'ort-node',
      device: devices.join(','),
      message: `None of the devices [${devices.join(', ')}] of onnxruntime-node is available:\n${failures.map((f) => `  - ${f}`).join('\n')}`,
    });
  };

  const download = async (tensor: ort.Tensor, dtype: TensorDataType): Promise<Tensor> => {
    const module = await loadOrt();
    let identity = identities.get(dtype as ModelDtype);
    if (!identity) {
      identity = module.InferenceSession.create(
        identityModelBytes(dtype as ModelDtype),
        sessionOptions(chosen!),
      );
      identities.set(dtype as ModelDtype, identity);
      identity.then(
        (session) => sessions.add(session),
        () => identities.delete(dtype as ModelDtype),
      );
    }
    try {
      const { y } = await (await identity).run({ x: tensor });
      return fromOrtTensor('y', y!);
    } catch (error) {
      throw toRunError(error, { backend: `ort-node/${chosen}`, described: 'a device tensor download' });
    }
  };

  const backend: InferenceBackend = {
    specificationVersion: 'v1',
    name: 'ort-node',
    init() {
      initPromise ??= init().catch((error: unknown) => {
        initPromise = undefined;
        throw error;
      });
      return initPromise;
    },
    get capabilities(): BackendCapabilities {
      const device = chosen ?? devices[0] ?? 'cpu';
      return {
        device,
        fp16: device === 'webgpu' ? webgpuHalf : (DEVICES[device]?.fp16 ?? false),
        contribOps: true,
        deviceResidentOutputs: DEVICES[device]?.deviceResident ?? false,
      };
    },
    async createSession(source, options = {}) {
      await backend.init();
      throwIfAborted(options.signal);
      const module = await loadOrt();
      const described = describeSource(source);
      const modelPath =
        typeof source === 'string'
          ? source
          : typeof source === 'object' && !(source instanceof Uint8Array) && typeof source.model === 'string'
            ? source.model
            : undefined;
      if (modelPath !== undefined) {
        const found = await stat(modelPath).then(
          (s) => s.isFile(),
          () => false,
        );
        if (!found)
          throw new ModelLoadError({
            path: modelPath,
            message: `Model file not found: ${modelPath}. Check the model directory (ivl.json lists the files).`,
          });
      }
      const sessionOptions_: ort.InferenceSession.SessionOptions = {
        ...sessionOptions(chosen!, options.runMemory),
        ...(options.threads !== undefined && { intraOpNumThreads: options.threads }),
        ...(DEVICES[chosen!].deviceResident &&
          options.deviceOutputs?.length && {
            preferredOutputLocation: Object.fromEntries(
              options.deviceOutputs.map((name) => [name, 'gpu-buffer' as const]),
            ),
          }),
      };
      let session: ort.InferenceSession;
      try {
        if (typeof source === 'string')
          session = await module.InferenceSession.create(source, sessionOptions_);
        else if (source instanceof Uint8Array)
          session = await module.InferenceSession.create(source, sessionOptions_);
        else if (
          typeof source.model === 'string' &&
          (source.externalData ?? []).every(
            (entry) =>
              typeof entry.data === 'string' &&
              resolve(dirname(source.model as string), entry.path) === resolve(entry.data),
          )
        ) {
          // Weights where the graph names them, beside it: onnxruntime reads (and maps) them itself.
          session = await module.InferenceSession.create(source.model, sessionOptions_);
        } else {
          // onnxruntime-node takes external data only as bytes.
          const externalData = await Promise.all(
            (source.externalData ?? []).map(async (entry) => ({
              path: entry.path,
              data: typeof entry.data === 'string' ? new Uint8Array(await readFile(entry.data)) : entry.data,
            })),
          );
          session =
            typeof source.model === 'string'
              ? await module.InferenceSession.create(source.model, { ...sessionOptions_, externalData })
              : await module.InferenceSession.create(source.model, { ...sessionOptions_, externalData });
        }
      } catch (error) {
        throw new ModelLoadError({
          path: described,
          message: `onnxruntime-node could not load ${described}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}.`,
          cause: error,
        });
      }
      sessions.add(session);
      let disposed = false;
      // Known once the device is chosen: whether float16 inputs are refused on it.
      const noFloat16 =
        chosen === 'webgpu' && !webgpuHalf
          ? { reason: 'this WebGPU adapter lacks the shader-f16 feature', otherDevice: 'cpu' }
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
            const ortFeeds = toOrtFeeds(module, feeds);
            results = runOptions.outputs
              ? await session.run(ortFeeds, [...runOptions.outputs])
              : await session.run(ortFeeds);
          } catch (error) {
            throw toRunError(error, { backend: `ort-node/${chosen}`, described });
          }
          return Object.fromEntries(
            Object.entries(results).map(([name, tensor]) => [
              name,
              tensor.location === 'gpu-buffer'
                ? fromOrtDeviceTensor(name, tensor, download)
                : fromOrtTensor(name, tensor),
            ]),
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
      await Promise.allSettled(identities.values());
      identities.clear();
      await Promise.all([...sessions].map((session) => session.release()));
      sessions.clear();
    },
  };
  return backend;
}
