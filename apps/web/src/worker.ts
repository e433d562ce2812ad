// The engine, off the page's thread: the page talks to it through connectRuntime.
import { createWebBackend, type WebDevice } from '@ivl/backend-web';
// The package root: the `browser` export condition gives the browser implementation.
import { createRuntime, exposeRuntime } from '@ivl/runtime';

/** What the page sends to start a runtime (plain data: it crosses postMessage). */
export interface EngineInit {
  readonly model: { readonly baseUrl: string } | { readonly files: ReadonlyMap<string, Blob> };
  readonly device: readonly WebDevice[];
  readonly wasmPaths: string;
}

exposeRuntime<EngineInit>((init, { onProgress }) =>
  createRuntime({
    model: init.model,
    backend: createWebBackend({ device: init.device, wasmPaths: init.wasmPaths }),
    onProgress,
  }),
);
