import type { NodeDevice } from '@ivl/backend-node';
import { createServer } from '@ivl/server';
import { untilAborted } from '../until-aborted.js';
import type { Output } from './chat.js';

export interface ServeCommandOptions {
  readonly model: string;
  readonly host: string;
  readonly port: number;
  readonly apiKey?: string;
  readonly maxConcurrency: number;
  readonly maxQueue: number;
  readonly maxBodyMb: number;
  readonly allowUrlPrefix?: readonly string[];
  readonly allowFileRoot?: readonly string[];
  readonly allowLoopback?: boolean;
  readonly allowPrivate?: boolean;
  readonly device: string;
  readonly modelName?: string;
  readonly shutdownDeadlineMs: number;
  /** Aborted by Ctrl-C or SIGTERM: stop accepting, finish or abort what runs, dispose, return. */
  readonly signal?: AbortSignal;
}

/** `ivl serve`: the OpenAI-compatible server, until Ctrl-C or SIGTERM ends it gracefully. */
export async function serveCommand(options: ServeCommandOptions, output: Output): Promise<void> {
  const server = await createServer({
    model: options.model,
    device: options.device.split(',') as NodeDevice[],
    maxConcurrency: options.maxConcurrency,
    maxQueue: options.maxQueue,
    maxBodyMb: options.maxBodyMb,
    ...(options.apiKey && { apiKey: options.apiKey }),
    ...(options.modelName && { modelName: options.modelName }),
    fetchPolicy: {
      ...(options.allowUrlPrefix && { urlPrefixes: options.allowUrlPrefix }),
      fileRoots: options.allowFileRoot ?? [],
      allowLoopback: options.allowLoopback === true,
      allowPrivate: options.allowPrivate === true,
    },
  });
  const address = await server.listen({ host: options.host, port: options.port });
  output.error(`serving ${options.model} at ${address}/v1 (OpenAI-compatible; Ctrl-C or SIGTERM stops)`);
  await untilAborted(options.signal);
  output.error(`stopping: finishing requests for up to ${options.shutdownDeadlineMs} ms`);
  await server.close({ deadlineMs: options.shutdownDeadlineMs });
  output.error('stopped');
}
