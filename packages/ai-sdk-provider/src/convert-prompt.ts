import type { LanguageModelV4FilePart, LanguageModelV4Prompt } from '@ai-sdk/provider';
import { UnsupportedFunctionalityError } from '@ai-sdk/provider';
import type { ChatMessage, ContentPart } from '@ivl/runtime';

/** The runtime's conversation for an AI SDK prompt, and the system message it carries. */
export interface ConvertedPrompt {
  readonly messages: ChatMessage[];
  /** The prompt's system messages joined, when it has any; else the model's own is used. */
  readonly systemMessage?: string;
}

/** A base64 string or bytes, as the runtime takes them (atob: the same in Node and browsers). */
function bytesOf(data: Uint8Array | string): Uint8Array {
  if (typeof data !== 'string') return data;
  const binary = atob(data);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** An image or video file part → the runtime's part; text files become text. */
function mediaPart(part: LanguageModelV4FilePart, videoFrames: number | undefined): ContentPart {
  const { data } = part;
  if (data.type === 'text') return { type: 'text', text: data.text };
  if (data.type === 'reference') {
    throw new UnsupportedFunctionalityError({
      functionality: 'file references',
      message: 'ivl runs locally and has no provider file store: pass the file as bytes, base64 or a URL.',
    });
  }
  // URLs (http, https, data) go to the runtime, whose fetch policy bounds them.
  const source = data.type === 'url' ? data.url.href : bytesOf(data.data);
  const media = part.mediaType.split('/')[0];
  if (media === 'image') return { type: 'image', image: source };
  if (media === 'video') {
    return { type: 'video', video: source, ...(videoFrames !== undefined && { frames: videoFrames }) };
  }
  throw new UnsupportedFunctionalityError({
    functionality: `${part.mediaType} files`,
    message: `InternVL reads images (image/*) and videos (video/*); a ${part.mediaType} file was given. Send it as text, or convert it to an image.`,
  });
}

/**
 * The AI SDK's prompt as the runtime's messages: system messages become the system message;
 * user text, images and videos keep their order; assistant turns keep their text (reasoning
 * parts are dropped, as the model never saw them as input). Tool calls and results have no
 * InternVL equivalent and are refused.
 *
 * @throws {UnsupportedFunctionalityError} for tool messages, tool calls and non-media files
 */
export function convertPrompt(prompt: LanguageModelV4Prompt, videoFrames?: number): ConvertedPrompt {
  const systems: string[] = [];
  const messages: ChatMessage[] = [];
  for (const message of prompt) {
    switch (message.role) {
      case 'system':
        systems.push(message.content);
        break;
      case 'user':
        messages.push({
          role: 'user',
          content: message.content.map((part) =>
            part.type === 'text' ? { type: 'text', text: part.text } : mediaPart(part, videoFrames),
          ),
        });
        break;
      case 'assistant': {
        const text: string[] = [];
        for (const part of message.content) {
          if (part.type === 'text') text.push(part.text);
          else if (part.type === 'tool-call' || part.type === 'tool-result') {
            throw new UnsupportedFunctionalityError({
              functionality: 'tool calls',
              message: 'ivl has no tool calling: InternVL 2.5 was not trained for it.',
            });
          }
        }
        messages.push({ role: 'assistant', content: text.join('') });
        break;
      }
      default:
        throw new UnsupportedFunctionalityError({
          functionality: 'tool messages',
          message: 'ivl has no tool calling: InternVL 2.5 was not trained for it.',
        });
    }
  }
  return { messages, ...(systems.length > 0 && { systemMessage: systems.join('\n\n') }) };
}
