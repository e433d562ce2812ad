import { type BuiltPrompt, layoutChatPrompt, type PromptMedia } from './build-chat-prompt.js';
import {
  expandImagePlaceholders,
  type FrameLabel,
  IMAGE_PLACEHOLDER,
  NUM_IMAGE_TOKEN,
} from './image-placeholders.js';
import type { ConversationTurn } from './render-conversation.js';
import type { ConversationTemplate } from './templates.js';

/** Options of {@link buildPrompt}. */
export interface BuildPromptOptions {
  /** The question the model is to answer. */
  readonly question: string;
  /** Earlier turns, oldest first. */
  readonly history?: readonly ConversationTurn[];
  /** A template or its name (a checkpoint's `template`). @default 'internvl2_5' */
  readonly template?: string | ConversationTemplate;
  /** Replaces the template's system message; `null` falls back to it. */
  readonly systemMessage?: string | null;
  /** Tiles per image, in the order of their placeholders (the official `num_patches_list`). */
  readonly images?: readonly number[];
  /**
   * Where images go when the first question has no `<image>`:
   * - `auto` (default): one image → `<image>\n` before the question; several →
   *   `Image-1: <image>\nImage-2: <image>\n…`, one `<img>` block each;
   * - `combined`: a single `<image>` whose block holds every tile of every image
   *   (what `chat()` does when no `num_patches_list` is given).
   */
  readonly imageLayout?: 'auto' | 'combined';
  /** A video as this many single-tile frames, labelled `Frame1: <image>` lines. */
  readonly videoFrames?: number;
  /** @default 'Frame1' (the model card's form) */
  readonly frameLabel?: FrameLabel;
  /** @default 256 */
  readonly numImageToken?: number;
}

/**
 * Builds the exact prompt string InternVL's `chat(question, history)` gives its tokenizer: placeholder placement,
 * template rendering with history and system message, then `<image>` expansion across the whole
 * prompt (history included).
 *
 * @example
 * ```ts
 * buildPrompt({ question: 'Describe the image.', images: [13] }).text;
 * // '<|im_start|>system\n你是书生·万象…<|im_end|>\n<|im_start|>user\n<img><IMG_CONTEXT>…(3328)…</img>\nDescribe the image.<|im_end|>\n<|im_start|>assistant\n'
 * ```
 * @throws {InvalidArgumentError} when placeholders and images disagree, or the template is unknown
 */
export function buildPrompt(options: BuildPromptOptions): BuiltPrompt {
  const { history = [], imageLayout = 'auto', numImageToken = NUM_IMAGE_TOKEN } = options;
  const images = options.images ?? [];
  const media: PromptMedia[] = images.map((tiles) => ({ kind: 'image', tiles }));
  if (imageLayout === 'combined' && images.length > 0 && !options.question.includes(IMAGE_PLACEHOLDER)) {
    // chat() without num_patches_list: one <image>, every tile of every image in its block.
    media.splice(0, media.length, { kind: 'image', tiles: images.reduce((a, b) => a + b, 0) });
  }
  if (options.videoFrames) media.push({ kind: 'video', frames: options.videoFrames });
  // chat() places the media only on the first turn; on a follow-up they fill the placeholders
  // that the history already holds.
  const firstTurn = history.length === 0;
  const laidOut = layoutChatPrompt({
    turns: [...history, { question: options.question, ...(firstTurn && { media }) }],
    ...(options.template !== undefined && { template: options.template }),
    ...(options.systemMessage !== undefined && { systemMessage: options.systemMessage }),
    ...(options.frameLabel && { frameLabel: options.frameLabel }),
  });
  const numTilesList = firstTurn
    ? laidOut.numTilesList
    : media.flatMap((item) =>
        item.kind === 'image' ? [item.tiles] : new Array<number>(item.frames).fill(1),
      );
  return { text: expandImagePlaceholders(laidOut.text, numTilesList, numImageToken), numTilesList };
}
