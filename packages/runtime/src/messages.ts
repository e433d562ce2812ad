import { InvalidArgumentError } from '@ivl/core';
import * as v from 'valibot';

/** An image: a path or URL, encoded bytes, decoded RGB, or (in browsers) a Blob, ImageData, bitmap or canvas. */
export type ImageInput = unknown;
/** A video: a path or URL, or (in browsers) a Blob/File. */
export type VideoInput = unknown;

/** Content parts of a user message (OpenAI-shaped, plus `image` and `video`). */
export type ContentPart =
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'image'; readonly image: ImageInput; readonly maxTiles?: number }
  | { readonly type: 'image_url'; readonly image_url: { readonly url: string } | string }
  | { readonly type: 'video'; readonly video: VideoInput; readonly frames?: number };

/** A chat message. */
export interface ChatMessage {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string | readonly ContentPart[];
}

/** An image or a video referenced by a turn, in order of appearance. */
export type MediaItem =
  | { readonly kind: 'image'; readonly source: ImageInput; readonly maxTiles?: number }
  | { readonly kind: 'video'; readonly source: VideoInput; readonly frames?: number };

/** A question (with its media) and, for past turns, the answer. */
export interface Turn {
  readonly text: string;
  readonly media: readonly MediaItem[];
  readonly answer?: string;
}

const tileCount = v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(64)));
const frameCount = v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)));
const media = v.nonNullish(v.unknown(), 'an image or video source (a path, URL, bytes or decoded pixels)');
const contentPart = v.variant('type', [
  v.looseObject({ type: v.literal('text'), text: v.string() }),
  v.looseObject({ type: v.literal('image'), image: media, maxTiles: tileCount }),
  v.looseObject({
    type: v.literal('image_url'),
    image_url: v.union([v.string(), v.looseObject({ url: v.string() })]),
  }),
  v.looseObject({ type: v.literal('video'), video: media, frames: frameCount }),
]);
const messagesSchema = v.pipe(
  v.array(
    v.looseObject({
      role: v.picklist(['system', 'user', 'assistant']),
      content: v.union([v.string(), v.array(contentPart)]),
    }),
  ),
  v.minLength(1, 'at least one message'),
);

/**
 * Checks the shape of OpenAI-shaped messages (they often come from JSON).
 * @throws {InvalidArgumentError} naming the first wrong field, what it expected and what it got
 */
export function validateMessages(messages: unknown): asserts messages is readonly ChatMessage[] {
  const parsed = v.safeParse(messagesSchema, messages);
  if (parsed.success) return;
  // A union reports its own mismatch with each option's issues beneath it (their paths relative
  // to the union): the deepest issue says most.
  type Found = { readonly message: string; readonly path: readonly unknown[] };
  const deepest = (issue: v.BaseIssue<unknown>, parent: readonly unknown[]): Found => {
    const path = [...parent, ...(issue.path ?? []).map((item) => item.key)];
    return (issue.issues ?? [])
      .map((sub) => deepest(sub, path))
      .reduce<Found>((best, next) => (next.path.length > best.path.length ? next : best), {
        message: issue.message,
        path,
      });
  };
  const issue = deepest(parsed.issues[0], []);
  const path = issue.path.map((key) => (typeof key === 'number' ? `[${key}]` : `.${String(key)}`)).join('');
  throw new InvalidArgumentError({
    argument: 'messages',
    message:
      `messages${path}: ${issue.message}. A message is { role: 'system' | 'user' | 'assistant', content: string | parts }, ` +
      "a part { type: 'text', text } | { type: 'image', image } | { type: 'image_url', image_url: { url } } | { type: 'video', video }.",
  });
}

function textOf(content: ChatMessage['content'], role: string): string {
  if (typeof content === 'string') return content;
  const texts = content.filter((part) => part.type === 'text').map((part) => (part as { text: string }).text);
  if (texts.length !== content.length && role !== 'user') {
    throw new InvalidArgumentError({
      argument: 'messages',
      message: `Only user messages may hold images or videos; a ${role} message has one.`,
    });
  }
  return texts.join('\n');
}

/**
 * Splits OpenAI-shaped messages into a system message and question/answer turns.
 * @throws {InvalidArgumentError} for malformed messages, an empty conversation, a last message that
 *   is not the user's, or roles out of order
 */
export function toTurns(messages: readonly ChatMessage[]): { system?: string; turns: Turn[] } {
  validateMessages(messages);
  let index = 0;
  let system: string | undefined;
  if (messages[0]?.role === 'system') {
    system = textOf(messages[0].content, 'system');
    index = 1;
  }
  const turns: Turn[] = [];
  for (; index < messages.length; index++) {
    const message = messages[index]!;
    if (message.role !== 'user') {
      throw new InvalidArgumentError({
        argument: 'messages',
        message: `Message ${index} is from "${message.role}" where a user message was expected. Messages go: [system], user, assistant, user, …, user.`,
      });
    }
    const media: MediaItem[] = [];
    if (typeof message.content !== 'string') {
      for (const part of message.content) {
        if (part.type === 'image')
          media.push({
            kind: 'image',
            source: part.image,
            ...(part.maxTiles !== undefined && { maxTiles: part.maxTiles }),
          });
        else if (part.type === 'image_url')
          media.push({
            kind: 'image',
            source: typeof part.image_url === 'string' ? part.image_url : part.image_url.url,
          });
        else if (part.type === 'video')
          media.push({
            kind: 'video',
            source: part.video,
            ...(part.frames !== undefined && { frames: part.frames }),
          });
      }
    }
    const answerMessage = messages[index + 1];
    if (answerMessage && answerMessage.role !== 'assistant') {
      throw new InvalidArgumentError({
        argument: 'messages',
        message: `Message ${index + 1} should be the assistant's answer to message ${index}, got "${answerMessage.role}".`,
      });
    }
    turns.push({
      text: textOf(message.content, 'user'),
      media,
      ...(answerMessage && { answer: textOf(answerMessage.content, 'assistant') }),
    });
    if (answerMessage) index++;
  }
  if (turns.length === 0 || turns.at(-1)!.answer !== undefined) {
    throw new InvalidArgumentError({
      argument: 'messages',
      message: 'The conversation must end with a user message to answer.',
    });
  }
  return { ...(system !== undefined && { system }), turns };
}
