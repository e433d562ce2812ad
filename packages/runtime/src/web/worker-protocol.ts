import type { BackendCapabilities, ModelDtype, ModelManifest } from '@ivl/core';
import type { ChatEvent, ChatOptions } from '../chat-types.js';
import type { LoadProgressEvent } from '../load-model.js';
import type { ChatMessage } from '../messages.js';
import type { RuntimeStats } from '../runtime.js';

/** An error as it crosses `postMessage`: its class name, message and the typed fields ivl's errors carry. */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly fields?: Record<string, unknown>;
}

/** Page → worker. */
export type PageMessage =
  | { readonly type: 'create'; readonly init: unknown }
  | {
      readonly type: 'chat';
      readonly id: number;
      readonly messages: readonly ChatMessage[];
      readonly options: Omit<ChatOptions, 'signal'>;
    }
  | { readonly type: 'abort'; readonly id: number }
  | { readonly type: 'reset' }
  | { readonly type: 'dispose' };

/** What the page knows of the runtime in the worker. */
export interface RuntimeDescription {
  readonly manifest: ModelManifest;
  readonly dtype: ModelDtype;
  readonly capabilities: BackendCapabilities;
  readonly stats: RuntimeStats;
}

/** Worker → page. */
export type WorkerMessage =
  | { readonly type: 'progress'; readonly event: LoadProgressEvent }
  | { readonly type: 'ready'; readonly runtime: RuntimeDescription }
  | { readonly type: 'create-failed'; readonly error: SerializedError }
  | { readonly type: 'event'; readonly id: number; readonly event: ChatEvent; readonly stats?: RuntimeStats }
  | {
      readonly type: 'chat-failed';
      readonly id: number;
      readonly error: SerializedError;
      readonly stats: RuntimeStats;
    }
  | { readonly type: 'disposed' };

export function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const fields: Record<string, unknown> = {};
  for (const key of ['argument', 'path', 'device', 'backendName', 'resource'] as const) {
    const value = (error as unknown as Record<string, unknown>)[key];
    if (typeof value === 'string') fields[key] = value;
  }
  return { name: error.name, message: error.message, fields };
}
