import {
  expandImagePlaceholders,
  type FrameLabel,
  IMAGE_PLACEHOLDER,
  multiImagePrefix,
  NUM_IMAGE_TOKEN,
  videoPrefix,
} from './image-placeholders.js';
import { type ConversationTurn, renderConversation } from './render-conversation.js';
import { type ConversationTemplate, getTemplate } from './templates.js';

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

/** The prompt text and the tiles of each `<img>` block in it, in order. */
export interface BuiltPrompt {
  readonly text: string;
  readonly numTilesList: readonly number[];
}

/**
 * Builds the exact prompt string InternVL's `chat()` gives its tokenizer: placeholder placement,
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
  const {
    history = [],
    imageLayout = 'auto',
    frameLabel = 'Frame1',
    numImageToken = NUM_IMAGE_TOKEN,
  } = options;
  const template =
    typeof options.template === 'object' ? options.template : getTemplate(options.template ?? 'internvl2_5');
  const videoTiles = options.videoFrames ? new Array<number>(options.videoFrames).fill(1) : [];
  let numTilesList = [...(options.images ?? []), ...videoTiles];
  let question = options.question;

  const firstTurn = history.length === 0;
  if (firstTurn && numTilesList.length > 0 && !question.includes(IMAGE_PLACEHOLDER)) {
    const images = options.images ?? [];
    let prefix = '';
    if (images.length > 0 && imageLayout === 'combined') {
      prefix = `${IMAGE_PLACEHOLDER}\n`;
      numTilesList = [images.reduce((a, b) => a + b, 0), ...videoTiles];
    } else if (images.length === 1) {
      prefix = `${IMAGE_PLACEHOLDER}\n`;
    } else if (images.length > 1) {
      prefix = multiImagePrefix(images.length);
    }
    if (videoTiles.length > 0) prefix += videoPrefix(videoTiles.length, frameLabel);
    question = prefix + question;
  }

  const rendered = renderConversation(template, [...history, { question }], options.systemMessage);
  return { text: expandImagePlaceholders(rendered, numTilesList, numImageToken), numTilesList };
}
