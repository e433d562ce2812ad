import type { ChatMessage, ChatOptions, ContentPart } from '@ivl/runtime';
import { HttpError } from './openai-errors.js';

/** The JSON schema Fastify checks `POST /v1/chat/completions` bodies against (before any work). */
export const chatRequestSchema = {
  type: 'object',
  required: ['messages'],
  properties: {
    model: { type: 'string', maxLength: 256 },
    messages: {
      type: 'array',
      minItems: 1,
      maxItems: 512,
      items: {
        type: 'object',
        required: ['role', 'content'],
        properties: {
          role: { enum: ['system', 'developer', 'user', 'assistant'] },
          content: {
            anyOf: [
              { type: 'string' },
              {
                type: 'array',
                maxItems: 128,
                items: {
                  type: 'object',
                  required: ['type'],
                  properties: {
                    type: { enum: ['text', 'image_url', 'video_url'] },
                    text: { type: 'string' },
                    image_url: {
                      type: 'object',
                      required: ['url'],
                      properties: {
                        url: { type: 'string', minLength: 1 },
                        detail: { enum: ['auto', 'low', 'high'] },
                        max_dynamic_patch: { type: 'integer', minimum: 1, maximum: 64 },
                      },
                    },
                    video_url: {
                      type: 'object',
                      required: ['url'],
                      properties: { url: { type: 'string', minLength: 1 } },
                    },
                  },
                },
              },
            ],
          },
        },
      },
    },
    stream: { type: 'boolean' },
    stream_options: { type: 'object', properties: { include_usage: { type: 'boolean' } } },
    max_tokens: { type: 'integer', minimum: 1 },
    max_completion_tokens: { type: 'integer', minimum: 1 },
    temperature: { type: 'number', minimum: 0, maximum: 2 },
    top_p: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
    seed: { type: 'integer' },
    stop: {
      anyOf: [
        { type: 'string', minLength: 1 },
        { type: 'array', maxItems: 4, items: { type: 'string', minLength: 1 } },
      ],
    },
    n: { type: 'integer', minimum: 1, maximum: 16 },
    mm_processor_kwargs: {
      type: 'object',
      properties: { max_dynamic_patch: { type: 'integer', minimum: 1, maximum: 64 } },
    },
    // ivl's own, under their own names.
    reasoning: { enum: ['cot'] },
    votes: { type: 'integer', minimum: 1, maximum: 16 },
    video_frames: { type: 'integer', minimum: 1, maximum: 256 },
  },
} as const;

/** A validated request body. */
export interface ChatRequest {
  readonly model?: string;
  readonly messages: readonly {
    readonly role: 'system' | 'developer' | 'user' | 'assistant';
    readonly content:
      | string
      | readonly {
          readonly type: 'text' | 'image_url' | 'video_url';
          readonly text?: string;
          readonly image_url?: {
            readonly url: string;
            readonly detail?: 'auto' | 'low' | 'high';
            readonly max_dynamic_patch?: number;
          };
          readonly video_url?: { readonly url: string };
        }[];
  }[];
  readonly stream?: boolean;
  readonly stream_options?: { readonly include_usage?: boolean };
  readonly max_tokens?: number;
  readonly max_completion_tokens?: number;
  readonly temperature?: number;
  readonly top_p?: number;
  readonly seed?: number;
  readonly stop?: string | readonly string[];
  readonly n?: number;
  readonly mm_processor_kwargs?: { readonly max_dynamic_patch?: number };
  readonly reasoning?: 'cot';
  readonly votes?: number;
  readonly video_frames?: number;
}

/** Limits on what one request may ask for. */
export interface RequestLimits {
  readonly maxImages: number;
  readonly maxFrames: number;
  readonly maxNewTokens: number;
}

/**
 * The runtime's messages and options for a request: image parts with their tile budget the way
 * lmdeploy and vLLM spell it (`max_dynamic_patch` on the part or in `mm_processor_kwargs`,
 * `detail: low` for one tile), videos as `video_url` parts.
 * @throws {HttpError} 400 for more images or frames than the limits allow
 */
export function toRuntimeRequest(
  request: ChatRequest,
  limits: RequestLimits,
  signal: AbortSignal,
): { messages: ChatMessage[]; options: ChatOptions; samples: number } {
  let images = 0;
  let videos = 0;
  const frames = request.video_frames ?? 8;
  const messages = request.messages.map((message): ChatMessage => {
    const role = message.role === 'developer' ? 'system' : message.role;
    if (typeof message.content === 'string') return { role, content: message.content };
    const content = message.content.map((part): ContentPart => {
      if (part.type === 'text') {
        if (typeof part.text !== 'string')
          throw new HttpError(400, 'A text part needs a "text" string.', 'invalid_request_error', 'messages');
        return { type: 'text', text: part.text };
      }
      if (part.type === 'image_url') {
        if (!part.image_url)
          throw new HttpError(
            400,
            'An image_url part needs "image_url": { "url": … }.',
            'invalid_request_error',
            'messages',
          );
        images++;
        const budget =
          part.image_url.detail === 'low'
            ? 1
            : (part.image_url.max_dynamic_patch ?? request.mm_processor_kwargs?.max_dynamic_patch);
        return {
          type: 'image',
          image: part.image_url.url,
          ...(budget !== undefined && { maxTiles: budget }),
        };
      }
      if (!part.video_url)
        throw new HttpError(
          400,
          'A video_url part needs "video_url": { "url": … }.',
          'invalid_request_error',
          'messages',
        );
      videos++;
      return { type: 'video', video: part.video_url.url, frames };
    });
    return { role, content };
  });
  if (images > limits.maxImages) {
    throw new HttpError(
      400,
      `The request has ${images} images; this server takes at most ${limits.maxImages}.`,
      'invalid_request_error',
      'messages',
      'too_many_images',
    );
  }
  if (videos * frames > limits.maxFrames) {
    throw new HttpError(
      400,
      `The request asks for ${videos * frames} video frames (${videos} video(s) × ${frames}); this server takes at most ${limits.maxFrames}.`,
      'invalid_request_error',
      'video_frames',
      'too_many_frames',
    );
  }
  const samples = request.votes ?? request.n ?? 1;
  const requested = request.max_completion_tokens ?? request.max_tokens;
  const options: ChatOptions = {
    maxNewTokens: Math.min(requested ?? limits.maxNewTokens, limits.maxNewTokens),
    ...(request.temperature !== undefined && {
      temperature: request.temperature,
      doSample: request.temperature > 0,
    }),
    ...(request.top_p !== undefined && { topP: request.top_p }),
    ...(request.seed !== undefined && { seed: request.seed }),
    ...(request.stop !== undefined && {
      stopStrings: typeof request.stop === 'string' ? [request.stop] : request.stop,
    }),
    ...(samples > 1 && { votes: samples }),
    ...(request.reasoning && { reasoning: request.reasoning }),
    signal,
  };
  return { messages, options, samples };
}
