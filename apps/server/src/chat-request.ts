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
    response_format: {
      type: 'object',
      required: ['type'],
      properties: {
        type: { enum: ['text', 'json_object', 'json_schema'] },
        json_schema: {
          type: 'object',
          required: ['schema'],
          properties: {
            name: { type: 'string' },
            schema: { type: 'object' },
            strict: { type: ['boolean', 'null'] },
          },
        },
      },
    },
    // vLLM's spellings of the other constraints.
    guided_regex: { type: 'string', minLength: 1, maxLength: 4096 },
    guided_choice: { type: 'array', minItems: 1, maxItems: 256, items: { type: 'string', minLength: 1 } },
    // ivl's own, under their own names.
    reasoning: { enum: ['cot', 'think'] },
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
  readonly reasoning?: 'cot' | 'think';
  readonly votes?: number;
  readonly video_frames?: number;
  readonly response_format?: {
    readonly type: 'text' | 'json_object' | 'json_schema';
    readonly json_schema?: {
      readonly name?: string;
      readonly schema: object;
      readonly strict?: boolean | null;
    };
  };
  readonly guided_regex?: string;
  readonly guided_choice?: readonly string[];
}

/** The runtime's response format for `response_format`, `guided_regex` or `guided_choice`. */
function responseFormatOf(request: ChatRequest): ChatOptions['responseFormat'] {
  const format = request.response_format;
  if (format?.type === 'json_schema') {
    if (!format.json_schema)
      throw new HttpError(
        400,
        'response_format json_schema needs "json_schema": { "schema": … }.',
        'invalid_request_error',
        'response_format',
      );
    const { name, schema, strict } = format.json_schema;
    return {
      type: 'json_schema',
      json_schema: { schema, ...(name && { name }), ...(typeof strict === 'boolean' && { strict }) },
    };
  }
  if (format?.type === 'json_object') return { type: 'json_object' };
  if (request.guided_regex) return { type: 'regex', pattern: request.guided_regex };
  if (request.guided_choice) return { type: 'choice', choices: request.guided_choice };
  return undefined;
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
  const responseFormat = responseFormatOf(request);
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
    ...(responseFormat && { responseFormat }),
    signal,
  };
  return { messages, options, samples };
}
