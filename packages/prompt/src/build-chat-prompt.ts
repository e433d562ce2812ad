import { applyCotPrompt, type CotKind, detectCotKind } from './cot-prompts.js';
import {
  expandImagePlaceholders,
  type FrameLabel,
  IMAGE_PLACEHOLDER,
  NUM_IMAGE_TOKEN,
  videoPrefix,
} from './image-placeholders.js';
import { type ConversationTurn, renderConversation } from './render-conversation.js';
import { type ConversationTemplate, getTemplate } from './templates.js';

/** An image (its tile count) or a video (its frame count, one tile each) attached to a turn. */
export type PromptMedia =
  | { readonly kind: 'image'; readonly tiles: number }
  | { readonly kind: 'video'; readonly frames: number };

/** One turn of a conversation with the media its question shows. */
export interface ChatPromptTurn extends ConversationTurn {
  /** In order of appearance; their `<img>` blocks go where the question's `<image>`s are, or before it. */
  readonly media?: readonly PromptMedia[];
}

/** Options of {@link buildChatPrompt} and {@link layoutChatPrompt}. */
export interface BuildChatPromptOptions {
  /** Oldest first; the last one (without an answer) is the question to answer. */
  readonly turns: readonly ChatPromptTurn[];
  /** A template or its name (a checkpoint's `template`). @default 'internvl2_5' */
  readonly template?: string | ConversationTemplate;
  /** Replaces the template's system message; `null` falls back to it. */
  readonly systemMessage?: string | null;
  /** @default 'Frame1' (the model card's form) */
  readonly frameLabel?: FrameLabel;
  /** @default 256 */
  readonly numImageToken?: number;
  /** The paper's chain-of-thought prompt on the last question; `auto` picks by {@link detectCotKind}. */
  readonly cot?: CotKind | 'auto';
}

/** The prompt text and the tiles of each `<img>` block in it, in order. */
export interface BuiltPrompt {
  readonly text: string;
  readonly numTilesList: readonly number[];
}

/**
 * The conversation with `<image>` placeholders still in it, and the tiles behind each placeholder.
 *
 * A question with media and no `<image>` of its own gets them in front, as InternVL's `chat()` and
 * its model card write them: `<image>\n` when the whole conversation shows one image, else
 * `Image-k: <image>\n` numbered across the conversation; a video as `Frame1: <image>\n…` lines.
 * The official `chat()` keeps each question in its history as it was asked, prefix included, so a
 * conversation rendered here is the string that `chat()` builds on its last turn.
 */
export function layoutChatPrompt(options: BuildChatPromptOptions): BuiltPrompt {
  const { turns, frameLabel = 'Frame1' } = options;
  const template =
    typeof options.template === 'object' ? options.template : getTemplate(options.template ?? 'internvl2_5');
  const imageCount = turns.reduce(
    (count, turn) => count + (turn.media ?? []).filter((item) => item.kind === 'image').length,
    0,
  );
  const numTilesList: number[] = [];
  let imageNumber = 0;
  const rendered = turns.map((turn, index): ConversationTurn => {
    let question = turn.question;
    if (index === turns.length - 1 && options.cot) {
      question = applyCotPrompt(question, options.cot === 'auto' ? detectCotKind(question) : options.cot);
    }
    let prefix = '';
    for (const item of turn.media ?? []) {
      if (item.kind === 'image') {
        imageNumber++;
        prefix += imageCount > 1 ? `Image-${imageNumber}: ${IMAGE_PLACEHOLDER}\n` : `${IMAGE_PLACEHOLDER}\n`;
        numTilesList.push(item.tiles);
      } else {
        prefix += videoPrefix(item.frames, frameLabel);
        for (let frame = 0; frame < item.frames; frame++) numTilesList.push(1);
      }
    }
    if (!question.includes(IMAGE_PLACEHOLDER)) question = prefix + question;
    return { question, ...(turn.answer !== undefined && { answer: turn.answer }) };
  });
  return { text: renderConversation(template, rendered, options.systemMessage), numTilesList };
}

/**
 * Builds the exact prompt string of a conversation whose turns show images and videos: the one
 * layout of ivl, used by `buildPrompt` and the runtime's `chat()` alike.
 *
 * @example
 * ```ts
 * buildChatPrompt({ turns: [{ question: 'Describe it.', media: [{ kind: 'image', tiles: 13 }] }] }).text;
 * // '<|im_start|>system\n你是书生·万象…<|im_end|>\n<|im_start|>user\n<img><IMG_CONTEXT>…(3328)…</img>\nDescribe it.<|im_end|>\n<|im_start|>assistant\n'
 * ```
 * @throws {InvalidArgumentError} when placeholders and media disagree, or the template is unknown
 */
export function buildChatPrompt(options: BuildChatPromptOptions): BuiltPrompt {
  const laidOut = layoutChatPrompt(options);
  return {
    text: expandImagePlaceholders(
      laidOut.text,
      laidOut.numTilesList,
      options.numImageToken ?? NUM_IMAGE_TOKEN,
    ),
    numTilesList: laidOut.numTilesList,
  };
}
