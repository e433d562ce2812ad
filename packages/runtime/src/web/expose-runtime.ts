import type { LoadProgressEvent } from '../load-model.js';
import type { Runtime } from '../runtime.js';
import { type PageMessage, serializeError, type WorkerMessage } from './worker-protocol.js';

/** Resolves in a new task (a MessageChannel message: no timer clamping), after queued messages. */
function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

/** What {@link exposeRuntime}'s factory is given besides the page's `init`. */
export interface ExposeRuntimeHooks {
  readonly onProgress: (event: LoadProgressEvent) => void;
}

/** The worker's side of the messages (a `DedicatedWorkerGlobalScope`, or a test's port). */
export interface WorkerScope {
  postMessage(message: WorkerMessage, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<PageMessage>) => void): void;
}

/**
 * Runs a runtime in this Web Worker for {@link connectRuntime} on the page: the page's `init`
 * (plain data: a model URL, a device list) goes to `create`, which builds the runtime (the
 * backend is chosen here, in the worker); chat events stream back as they come, aborts and
 * disposal are forwarded. The page's thread never runs inference, so it never freezes.
 *
 * @example
 * ```ts
 * // worker.ts
 * exposeRuntime((init: { baseUrl: string }, { onProgress }) =>
 *   createRuntime({ model: { baseUrl: init.baseUrl }, backend: createWebBackend({ device: ['webgpu', 'wasm'] }), onProgress }));
 * ```
 */
export function exposeRuntime<Init>(
  create: (init: Init, hooks: ExposeRuntimeHooks) => Promise<Runtime>,
  scope: WorkerScope = globalThis as unknown as WorkerScope,
): void {
  let runtime: Runtime | undefined;
  const calls = new Map<number, AbortController>();
  const post = (message: WorkerMessage) => scope.postMessage(message);
  // The calls run in turns on the runtime (its own queue); they are started in the order they came.
  const chat = async (message: Extract<PageMessage, { type: 'chat' }>) => {
    const controller = new AbortController();
    calls.set(message.id, controller);
    try {
      for await (const event of runtime!.chat(message.messages, {
        ...message.options,
        signal: controller.signal,
      })) {
        post({
          type: 'event',
          id: message.id,
          event,
          ...(event.type === 'done' && { stats: runtime!.stats }),
        });
        // Decoding can run from one microtask to the next without returning to the event loop,
        // and then the page's 'abort' message would wait for the answer's end: let it in.
        await nextTask();
      }
    } catch (error) {
      post({ type: 'chat-failed', id: message.id, error: serializeError(error), stats: runtime!.stats });
    } finally {
      calls.delete(message.id);
    }
  };
  scope.addEventListener('message', ({ data: message }) => {
    switch (message.type) {
      case 'create':
        create(message.init as Init, { onProgress: (event) => post({ type: 'progress', event }) }).then(
          (created) => {
            runtime = created;
            post({
              type: 'ready',
              runtime: {
                manifest: created.manifest,
                dtype: created.dtype,
                capabilities: created.backend.capabilities,
                stats: created.stats,
              },
            });
          },
          (error: unknown) => post({ type: 'create-failed', error: serializeError(error) }),
        );
        break;
      case 'chat':
        void chat(message);
        break;
      case 'abort':
        calls.get(message.id)?.abort();
        break;
      case 'reset':
        runtime?.reset();
        break;
      case 'dispose':
        for (const controller of calls.values()) controller.abort();
        void (runtime?.dispose() ?? Promise.resolve()).finally(() => post({ type: 'disposed' }));
        break;
    }
  });
}
