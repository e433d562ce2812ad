import { randomUUID } from 'node:crypto';
import { basename } from 'node:path';
import { createNodeBackend, type NodeDevice } from '@ivl/backend-node';
import { AbortedError, InvalidArgumentError } from '@ivl/core';
import type { ChatResult, FetchPolicy, FinishReason, Runtime } from '@ivl/runtime';
import { createRuntime } from '@ivl/runtime/node';
import Fastify, { type FastifyInstance } from 'fastify';
import { Admission } from './admission.js';
import { type ChatRequest, chatRequestSchema, toRuntimeRequest } from './chat-request.js';
import { createMetrics } from './metrics.js';
import { HttpError, toOpenAIError } from './openai-errors.js';

/** Settings of {@link createServer}. */
export interface ServerSettings {
  /** A runtime to serve (its media loader's policy applies), or… */
  readonly runtime?: Runtime;
  /** …a model directory or Hugging Face checkpoint to load, under `fetchPolicy`. */
  readonly model?: string;
  /** With `model`: devices to try in order. @default ['cpu'] */
  readonly device?: readonly NodeDevice[];
  /** The name `/v1/models` lists and responses carry. @default the model folder's name */
  readonly modelName?: string;
  /** When set, `/v1/*` and `/metrics` need `Authorization: Bearer <apiKey>`. */
  readonly apiKey?: string;
  /** Requests admitted at once (they share one runtime and run in turn). @default 4 */
  readonly maxConcurrency?: number;
  /** Requests waiting beyond those; more get 429 with Retry-After. @default 16 */
  readonly maxQueue?: number;
  /** Largest request body, in MiB (images come inline as data URLs). @default 32 */
  readonly maxBodyMb?: number;
  /** @default 16 */
  readonly maxImages?: number;
  /** Video frames of one request. @default 64 */
  readonly maxFrames?: number;
  /** Cap on `max_tokens`. @default 4096 */
  readonly maxNewTokens?: number;
  /**
   * With `model`: what media URLs requests may make the server fetch. @default public http(s)
   * hosts only, 32 MiB, 30 s, no local files
   */
  readonly fetchPolicy?: FetchPolicy;
  /** With `model`: conversations whose KV caches stay resident. @default 8 */
  readonly conversationSlots?: number;
  /** pino logger options, or false. @default JSON lines at level info */
  readonly logger?: boolean | { readonly level?: string };
}

/** A running (or ready) server. */
export interface IvlServer {
  readonly app: FastifyInstance;
  readonly runtime: Runtime;
  /** Starts listening; resolves with the address. */
  listen(options?: { host?: string; port?: number }): Promise<string>;
  /**
   * Stops accepting requests, lets the running ones finish for up to `deadlineMs`, then aborts
   * them, and disposes the runtime when the server loaded it.
   */
  close(options?: { deadlineMs?: number }): Promise<void>;
}

const FINISH: Record<FinishReason, 'stop' | 'length'> = {
  eos: 'stop',
  'stop-string': 'stop',
  'max-tokens': 'length',
  length: 'length',
};

/**
 * An OpenAI-compatible server over an ivl runtime: `POST /v1/chat/completions` (JSON or SSE),
 * `GET /v1/models`, `/health`, `/metrics` (Prometheus).
 *
 * @example
 * ```ts
 * const server = await createServer({ model: './models/internvl2_5-1b', apiKey: 'secret' });
 * await server.listen({ host: '127.0.0.1', port: 8000 });
 * ```
 */
export async function createServer(settings: ServerSettings): Promise<IvlServer> {
  if (!settings.runtime && !settings.model)
    throw new InvalidArgumentError({
      argument: 'settings',
      message: 'createServer needs a `runtime` or a `model` to load.',
    });
  const ownsRuntime = !settings.runtime;
  const runtime =
    settings.runtime ??
    (await createRuntime({
      model: settings.model!,
      backend: createNodeBackend({ device: [...(settings.device ?? ['cpu'])] }),
      conversationSlots: settings.conversationSlots ?? 8,
      fetchPolicy: { maxBytes: 32 * 2 ** 20, fileRoots: [], ...settings.fetchPolicy },
    }));
  const modelName = settings.modelName ?? (settings.model ? basename(settings.model) : 'ivl');
  const admission = new Admission(settings.maxConcurrency ?? 4, settings.maxQueue ?? 16);
  const metrics = createMetrics(runtime, admission);
  const limits = {
    maxImages: settings.maxImages ?? 16,
    maxFrames: settings.maxFrames ?? 64,
    maxNewTokens: settings.maxNewTokens ?? 4096,
  };
  const inFlight = new Set<AbortController>();
  let closing = false;

  const app = Fastify({
    logger:
      settings.logger === false ? false : { level: (settings.logger as { level?: string })?.level ?? 'info' },
    bodyLimit: Math.round((settings.maxBodyMb ?? 32) * 2 ** 20),
    ajv: { customOptions: { allErrors: false, removeAdditional: false } },
  });

  app.setErrorHandler((error, request, reply) => {
    const { status, body } = toOpenAIError(error);
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    if (status === 429) reply.header('retry-after', '1');
    return reply.status(status).send(body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .status(404)
      .send(toOpenAIError(new HttpError(404, `No route ${request.method} ${request.url}.`)).body),
  );
  app.addHook('onResponse', async (request, reply) => {
    metrics.requests.inc({ route: request.routeOptions.url ?? 'unknown', status: String(reply.statusCode) });
  });
  // While closing, answers end their connection, so that keep-alive sockets do not hold the close.
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });
  app.addHook('onRequest', async (request) => {
    if (closing)
      throw new HttpError(503, 'The server is shutting down.', 'server_error', null, 'shutting_down');
    if (!settings.apiKey || request.url === '/health') return;
    if (request.headers.authorization !== `Bearer ${settings.apiKey}`) {
      throw new HttpError(
        401,
        'Incorrect API key provided.',
        'invalid_request_error',
        null,
        'invalid_api_key',
      );
    }
  });

  app.get('/health', async () => ({
    status: 'ok',
    model: modelName,
    queue: admission.waiting,
    running: admission.active,
  }));
  app.get('/metrics', async (_request, reply) =>
    reply.header('content-type', metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
  app.get('/v1/models', async () => ({
    object: 'list',
    data: [{ id: modelName, object: 'model', created: 0, owned_by: 'ivl' }],
  }));

  app.post('/v1/chat/completions', { schema: { body: chatRequestSchema } }, async (request, reply) => {
    const body = request.body as ChatRequest;
    const controller = new AbortController();
    // The client went away before the answer was complete: stop generating at the next step.
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished) controller.abort(new Error('the client disconnected'));
    });
    const arrived = performance.now();
    const { messages, options, samples } = toRuntimeRequest(body, limits, controller.signal);
    const release = await admission.enter(controller.signal);
    inFlight.add(controller);
    try {
      const id = `chatcmpl-${randomUUID()}`;
      const created = Math.floor(Date.now() / 1000);
      const stream = runtime.chat(messages, options);
      let firstToken = true;
      const onToken = () => {
        if (firstToken) metrics.timeToFirstToken.observe((performance.now() - arrived) / 1000);
        firstToken = false;
      };
      const record = (result: ChatResult) => {
        metrics.promptTokens.inc(result.usage.promptTokens);
        metrics.reusedTokens.inc(result.usage.reusedTokens);
        metrics.completionTokens.inc(result.usage.generatedTokens);
        if (result.usage.generatedTokens > 1)
          metrics.decodeSpeed.observe(result.timings.decodeTokensPerSecond);
      };
      const usageOf = (result: ChatResult) => ({
        prompt_tokens: result.usage.promptTokens,
        completion_tokens: result.usage.generatedTokens,
        total_tokens: result.usage.promptTokens + result.usage.generatedTokens,
        prompt_tokens_details: { cached_tokens: result.usage.reusedTokens },
      });
      const choicesOf = (result: ChatResult) =>
        result.samples.slice(0, samples).map((sample, index) => ({
          index,
          // In thinking mode the think section comes apart, as vLLM's reasoning parsers give it.
          message: {
            role: 'assistant',
            content: sample.text,
            ...(sample.reasoning !== undefined && { reasoning_content: sample.reasoning }),
          },
          finish_reason: FINISH[sample.finishReason],
          logprobs: null,
        }));

      if (!body.stream) {
        let result: ChatResult | undefined;
        for await (const event of stream) {
          if (event.type === 'image-encoded') metrics.encodedTiles.inc(event.tiles);
          else if (event.type === 'token-delta') onToken();
          else if (event.type === 'done') result = event;
        }
        record(result!);
        return reply.send({
          id,
          object: 'chat.completion',
          created,
          model: modelName,
          choices: body.votes
            ? [{ ...choicesOf(result!)[0], message: { role: 'assistant', content: result!.text } }]
            : choicesOf(result!),
          usage: usageOf(result!),
          ...((result!.vote || result!.grounding.length > 0) && {
            ivl: {
              ...(result!.vote && { vote: result!.vote }),
              ...(result!.grounding.length > 0 && { grounding: result!.grounding }),
            },
          }),
        });
      }

      // Server-sent events, as OpenAI streams them; the first event goes out once the answer starts.
      reply.hijack();
      const raw = reply.raw;
      let started = false;
      const send = (data: unknown) => {
        if (!started) {
          raw.writeHead(200, {
            'content-type': 'text/event-stream',
            'cache-control': 'no-cache',
            connection: 'keep-alive',
          });
          started = true;
        }
        raw.write(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
      };
      const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => ({
        id,
        object: 'chat.completion.chunk',
        created,
        model: modelName,
        choices,
        ...extra,
      });
      try {
        // Each sample is a choice (`n`, or ivl's `votes`), streamed in turn.
        const opened = new Set<number>();
        const open = (index: number) => {
          const first = !opened.has(index);
          opened.add(index);
          return first ? { role: 'assistant' } : {};
        };
        for await (const event of stream) {
          if (event.type === 'image-encoded') metrics.encodedTiles.inc(event.tiles);
          else if (event.type === 'token-delta') {
            onToken();
            send(
              chunk([
                {
                  index: event.sample,
                  delta: {
                    ...open(event.sample),
                    ...(event.reasoning ? { reasoning_content: event.text } : { content: event.text }),
                  },
                  finish_reason: null,
                  logprobs: null,
                },
              ]),
            );
          } else if (event.type === 'done') {
            record(event);
            for (const [index, sample] of event.samples.entries()) {
              send(
                chunk([
                  { index, delta: open(index), finish_reason: FINISH[sample.finishReason], logprobs: null },
                ]),
              );
            }
            if (body.stream_options?.include_usage)
              send(chunk([], { usage: usageOf(event), ...(event.vote && { ivl: { vote: event.vote } }) }));
          }
        }
        send('[DONE]');
      } catch (error) {
        if (controller.signal.aborted && !raw.writableEnded && raw.destroyed) return;
        const { status, body: errorBody } = toOpenAIError(error);
        if (status >= 500) request.log.error({ err: error }, 'stream failed');
        if (!started) {
          raw.writeHead(status, {
            'content-type': 'application/json',
            ...(status === 429 && { 'retry-after': '1' }),
          });
          raw.end(JSON.stringify(errorBody));
          return;
        }
        send(errorBody);
      }
      raw.end();
    } catch (error) {
      if (controller.signal.aborted && AbortedError.isInstance(error)) {
        request.log.info('client disconnected; generation stopped');
        return reply.status(499).send(toOpenAIError(new HttpError(499, 'The client disconnected.')).body);
      }
      throw error;
    } finally {
      inFlight.delete(controller);
      release();
      if (closing) setImmediate(() => app.server.closeIdleConnections());
    }
  });

  return {
    app,
    runtime,
    async listen(options = {}) {
      return app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 8000 });
    },
    async close({ deadlineMs = 10_000 } = {}) {
      closing = true;
      const deadline = setTimeout(() => {
        for (const controller of inFlight) controller.abort(new Error('the server is shutting down'));
        // Whatever is still open a moment later (a client that never reads) is cut.
        setTimeout(() => app.server.closeAllConnections(), 1000).unref();
      }, deadlineMs);
      try {
        await app.close();
      } finally {
        clearTimeout(deadline);
      }
      if (ownsRuntime) await runtime.dispose();
    },
  };
}
