import {
  ContextOverflowError,
  DisposedError,
  ImageDecodeError,
  ImageTooLargeError,
  InvalidArgumentError,
  IvlError,
  VideoDecodeError,
} from '@ivl/core';
import { QueueFullError } from './admission.js';

/** An OpenAI-shaped error body: `{ error: { message, type, param, code } }`. */
export interface OpenAIErrorBody {
  readonly error: {
    readonly message: string;
    readonly type: string;
    readonly param: string | null;
    readonly code: string | null;
  };
}

/** A request the server refuses, with its status and OpenAI-shaped body. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type = 'invalid_request_error',
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** The status and body for any error of a request; the cause of a 500 is for the log only. */
export function toOpenAIError(error: unknown): { status: number; body: OpenAIErrorBody } {
  const body = (message: string, type: string, param: string | null = null, code: string | null = null) => ({
    error: { message, type, param, code },
  });
  if (error instanceof HttpError) {
    return { status: error.status, body: body(error.message, error.type, error.param, error.code) };
  }
  if (error instanceof QueueFullError) {
    return {
      status: 429,
      body: body(`${error.message} Retry in a moment.`, 'rate_limit_error', null, 'queue_full'),
    };
  }
  const fastify = error as { statusCode?: number; code?: string; message?: string; validation?: unknown };
  if (fastify?.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return {
      status: 413,
      body: body(
        `${fastify.message}. Send smaller images (or fewer), or raise --max-body-mb.`,
        'invalid_request_error',
        null,
        'body_too_large',
      ),
    };
  }
  if (fastify?.validation) {
    return {
      status: 400,
      body: body(`Invalid request: ${fastify.message}.`, 'invalid_request_error', null, 'invalid_request'),
    };
  }
  if (typeof fastify?.statusCode === 'number' && fastify.statusCode >= 400 && fastify.statusCode < 500) {
    return {
      status: fastify.statusCode,
      body: body(fastify.message ?? 'Bad request.', 'invalid_request_error'),
    };
  }
  if (ContextOverflowError.isInstance(error)) {
    return {
      status: 400,
      body: body(error.message, 'invalid_request_error', 'messages', 'context_length_exceeded'),
    };
  }
  if (InvalidArgumentError.isInstance(error)) {
    return {
      status: 400,
      body: body(error.message, 'invalid_request_error', error.argument, 'invalid_value'),
    };
  }
  if (
    ImageDecodeError.isInstance(error) ||
    VideoDecodeError.isInstance(error) ||
    ImageTooLargeError.isInstance(error)
  ) {
    return { status: 400, body: body(error.message, 'invalid_request_error', 'messages', 'invalid_media') };
  }
  if (DisposedError.isInstance(error)) {
    return { status: 503, body: body('The server is shutting down.', 'server_error', null, 'shutting_down') };
  }
  const message = IvlError.isInstance(error) ? error.message : 'The server failed to answer; see its log.';
  return { status: 500, body: body(message, 'server_error') };
}
