import {
  AbortedError,
  type BackendCapabilities,
  BackendUnavailableError,
  DisposedError,
  InvalidArgumentError,
  ModelLoadError,
  throwIfAborted,
} from '@ivl/core';
import { chatStreamOver } from '../chat-stream.js';
import type { ChatEvent, ChatOptions, ChatResult, ChatStream } from '../chat-types.js';
import type { LoadProgressEvent } from '../load-model.js';
import type { ChatMessage } from '../messages.js';
import type { Runtime, RuntimeStats } from '../runtime.js';
import type { PageMessage, SerializedError, WorkerMessage } from './worker-protocol.js';

/**
 * The page's handle on a runtime in a Web Worker: the {@link Runtime} interface, with the backend
 * known by its capabilities (the backend itself lives in the worker) and `stats` as of the last
 * call's end.
 */
export interface RemoteRuntime extends Omit<Runtime, 'backend' | 'preparePrompt'> {
  readonly backend: { readonly capabilities: BackendCapabilities };
}

/** The page's side of the messages (a `Worker`, or a test's port). */
export interface WorkerPort {
  postMessage(message: PageMessage, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<WorkerMessage>) => void): void;
  terminate?(): void;
}

/** ivl's typed errors again on the page, by name (their `isInstance` works as before the crossing). */
function deserializeError(error: SerializedError): Error {
  const fields = error.fields ?? {};
  const text = (key: string) => (typeof fields[key] === 'string' ? (fields[key] as string) : '');
  switch (error.name) {
    case 'AbortedError':
      return new AbortedError({ message: error.message });
    case 'DisposedError':
      return new DisposedError({ resource: text('resource') || 'runtime', message: error.message });
    case 'InvalidArgumentError':
      return new InvalidArgumentError({ argument: text('argument'), message: error.message });
    case 'ModelLoadError':
      return new ModelLoadError({ path: text('path'), message: error.message });
    case 'BackendUnavailableError':
      return new BackendUnavailableError({
        backendName: text('backendName'),
        device: text('device'),
        message: error.message,
      });
    default: {
      const copy = new Error(error.message);
      copy.name = error.name;
      return copy;
    }
  }
}

/** Pixel buffers of `{ type: 'image', image: { width, height, data } }` parts, moved rather than copied. */
function transferables(messages: readonly ChatMessage[]): Transferable[] {
  const buffers = new Set<ArrayBuffer>();
  for (const message of messages) {
    if (typeof message.content === 'string') continue;
    for (const part of message.content) {
      if (part.type !== 'image') continue;
      const image = part.image as unknown;
      const data =
        image instanceof Uint8Array
          ? image
          : (image as { data?: unknown } | undefined)?.data instanceof Uint8Array
            ? (image as { data: Uint8Array }).data
            : undefined;
      if (
        data &&
        data.buffer instanceof ArrayBuffer &&
        data.byteOffset === 0 &&
        data.byteLength === data.buffer.byteLength
      )
        buffers.add(data.buffer);
    }
  }
  return [...buffers];
}

/**
 * Starts a runtime in `worker` (whose script calls {@link exposeRuntime}) and returns the page's
 * handle on it. Chat events arrive as the worker streams them; `signal` aborts the call in the
 * worker; raw pixel buffers in image parts are transferred (they are detached on the page).
 *
 * @throws what the worker's `create` threw (e.g. `ModelLoadError`, `BackendUnavailableError`)
 */
export function connectRuntime<Init>(
  worker: WorkerPort,
  init: Init,
  options: { readonly onProgress?: (event: LoadProgressEvent) => void } = {},
): Promise<RemoteRuntime> {
  const listeners = new Map<number, (message: WorkerMessage) => void>();
  let nextId = 1;
  let disposed = false;
  let onDisposed: (() => void) | undefined;
  return new Promise((resolveReady, rejectReady) => {
    let stats: RuntimeStats;
    worker.addEventListener('message', ({ data: message }) => {
      switch (message.type) {
        case 'progress':
          options.onProgress?.(message.event);
          break;
        case 'create-failed':
          rejectReady(deserializeError(message.error));
          break;
        case 'ready': {
          stats = message.runtime.stats;
          const { manifest, dtype, capabilities } = message.runtime;
          resolveReady({
            manifest,
            dtype,
            backend: { capabilities },
            get stats() {
              return stats;
            },
            chat: (messages, chatOptions) => remoteChat(messages, chatOptions ?? {}),
            reset: () => worker.postMessage({ type: 'reset' }),
            dispose: () =>
              new Promise<void>((resolve) => {
                if (disposed) return resolve();
                disposed = true;
                onDisposed = () => {
                  worker.terminate?.();
                  resolve();
                };
                worker.postMessage({ type: 'dispose' });
              }),
          });
          break;
        }
        case 'event':
        case 'chat-failed':
          if (message.type === 'chat-failed' || message.stats) stats = message.stats ?? stats;
          listeners.get(message.id)?.(message);
          break;
        case 'disposed':
          onDisposed?.();
          break;
      }
    });
    worker.postMessage({ type: 'create', init });
  });

  function remoteChat(messages: readonly ChatMessage[], chatOptions: ChatOptions): ChatStream {
    const { signal, ...rest } = chatOptions;
    let final: ChatResult | undefined;
    const iterator = (async function* (): AsyncGenerator<ChatEvent> {
      if (disposed) throw new DisposedError({ resource: 'runtime' });
      throwIfAborted(signal);
      const id = nextId++;
      const queue: WorkerMessage[] = [];
      let wake: (() => void) | undefined;
      listeners.set(id, (message) => {
        queue.push(message);
        wake?.();
      });
      const abort = () => worker.postMessage({ type: 'abort', id });
      // A stop ends the answer on the page at once: the worker may be inside a step (or the page
      // behind on its events) for a while yet, and what it sends from now on is not the answer.
      // Its next call waits for this one's end in the worker's queue, so nothing overlaps.
      const onAbort = () => {
        abort();
        wake?.();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      worker.postMessage({ type: 'chat', id, messages, options: rest }, transferables(messages));
      let finished = false;
      try {
        for (;;) {
          if (queue.length === 0 && !signal?.aborted) await new Promise<void>((resolve) => (wake = resolve));
          throwIfAborted(signal);
          const message = queue.shift()!;
          if (message.type === 'chat-failed') throw deserializeError(message.error);
          if (message.type !== 'event') continue;
          if (message.event.type === 'done') final = message.event;
          yield message.event;
          if (message.event.type === 'done') {
            finished = true;
            return;
          }
        }
      } finally {
        listeners.delete(id);
        signal?.removeEventListener('abort', onAbort);
        // A reader that stopped early stops the call in the worker too.
        if (!finished) abort();
      }
    })();
    return chatStreamOver(iterator, () => final);
  }
}
