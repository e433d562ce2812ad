import { InvalidArgumentError, throwIfAborted } from '@ivl/core';
import type { ChatMessage, ChatOptions, Runtime } from '@ivl/runtime';
import { type RgbImage, resizeBilinear } from '@ivl/tiling';
import { canInfer, extractBoxedContent } from './can-infer.js';
import {
  buildMcqCotPrompt,
  buildMultipleChoicePrompt,
  reorganizePrompt,
  tilesPerImage,
} from './mcq-prompt.js';
import type { EvalItem } from './vlmevalkit-tsv.js';

/** How a question is asked: a direct answer, a chain of thought, or a majority vote over CoT samples. */
export type EvalMode = 'direct' | 'cot' | 'vote';

/** One line of a results file: one question, answered. */
export interface EvalRecord {
  readonly index: string;
  readonly mode: EvalMode;
  readonly category?: string;
  /** SHA-256 of the prompt text and the images' bytes: what was asked. */
  readonly promptSha256: string;
  /** The model's answer (the first sample's with `vote`). */
  readonly response: string;
  /** The option letter VLMEvalKit's extraction finds (`Z`: none; with `vote`, the majority). */
  readonly extracted: string;
  readonly correct: boolean;
  readonly promptTokens: number;
  readonly generatedTokens: number;
  readonly ms: number;
  /** With `vote`: each sample's extracted letter. */
  readonly samples?: readonly string[];
  /** On a queue: the worker that answered. */
  readonly worker?: string;
}

/** Settings of {@link evaluateItem}. */
export interface EvalSettings {
  readonly mode: EvalMode;
  /** Samples with `vote`. @default 5 */
  readonly votes?: number;
  /** @default 4096 (VLMEvalKit's for InternVL) */
  readonly maxNewTokens?: number;
  /** Apply VLMEvalKit's `extract_boxed_content` before extraction (its `use_postprocess`). @default false */
  readonly postprocess?: boolean;
  /**
   * Upscale the first image 2× (Pillow BILINEAR) before tiling, as VLMEvalKit does for InternVL on
   * MMMU (`upscale=True` for datasets named MMMU…); needs `decodeImage`. @default false
   */
  readonly upscaleFirstImage?: boolean;
  /** Decodes an image's bytes to RGB (`@ivl/eval/node` passes sharp's); needed for `upscaleFirstImage`. */
  readonly decodeImage?: (bytes: Uint8Array) => Promise<RgbImage>;
  /** Asked when extraction finds nothing (VLMEvalKit would ask a GPT judge); `undefined` → `Z`. */
  readonly judge?: (item: EvalItem, response: string) => Promise<string | undefined>;
  readonly signal?: AbortSignal;
}

async function sha256Hex(parts: readonly Uint8Array[]): Promise<string> {
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const joined = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  const digest = await crypto.subtle.digest('SHA-256', joined);
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** The prompt text VLMEvalKit gives InternVL for an item (with `<image>` placeholders). */
export function evaluationPrompt(item: EvalItem, mode: EvalMode): string {
  const prompt = buildMultipleChoicePrompt(item);
  return reorganizePrompt(mode === 'direct' ? prompt : buildMcqCotPrompt(prompt), item.images.length);
}

/** The most frequent letter (ties: the one seen first), `Z` when no sample gave one. */
function majority(letters: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const letter of letters) if (letter !== 'Z') counts.set(letter, (counts.get(letter) ?? 0) + 1);
  let best = 'Z';
  let bestCount = 0;
  for (const [letter, count] of counts) {
    if (count > bestCount) {
      best = letter;
      bestCount = count;
    }
  }
  return best;
}

/**
 * Asks one question the way VLMEvalKit asks InternVL: its prompt, greedy with the model's default
 * system prompt (`direct`, `cot`), or `votes` CoT samples at temperature 0.6 / top-p 0.95 from one
 * prefill (`vote`), each image with `min(12, 64 / images)` tiles; then extracts the option.
 */
export async function evaluateItem(
  runtime: Runtime,
  item: EvalItem,
  settings: EvalSettings,
): Promise<EvalRecord> {
  throwIfAborted(settings.signal);
  const text = evaluationPrompt(item, settings.mode);
  const maxTiles = tilesPerImage(item.images.length);
  const images: (Uint8Array | RgbImage)[] = [...item.images];
  if (settings.upscaleFirstImage && images.length > 0) {
    if (!settings.decodeImage) {
      throw new InvalidArgumentError({
        argument: 'upscaleFirstImage',
        message: 'upscaleFirstImage needs decodeImage (use @ivl/eval/node, which provides it).',
      });
    }
    const first = await settings.decodeImage(item.images[0]!);
    images[0] = resizeBilinear(first, first.width * 2, first.height * 2);
  }
  const messages: ChatMessage[] = [
    {
      role: 'user',
      content: [
        { type: 'text', text },
        ...images.map((image) => ({ type: 'image' as const, image, maxTiles })),
      ],
    },
  ];
  const votes = settings.mode === 'vote' ? (settings.votes ?? 5) : 1;
  const options: ChatOptions = {
    maxNewTokens: settings.maxNewTokens ?? 4096,
    // top-k stays at 50: HF's default, which InternVL's chat() leaves in place under VLMEvalKit.
    ...(votes > 1 ? { votes, doSample: true, temperature: 0.6, topP: 0.95 } : { doSample: false }),
    ...(settings.signal && { signal: settings.signal }),
  };
  const started = performance.now();
  const result = await runtime.chat(messages, options).result();
  const extract = async (response: string) => {
    const found = canInfer(settings.postprocess ? extractBoxedContent(response) : response, item.options);
    if (found) return found;
    return (await settings.judge?.(item, response)) ?? 'Z';
  };
  const letters = await Promise.all(result.samples.map((sample) => extract(sample.text)));
  const extracted = votes > 1 ? majority(letters) : letters[0]!;
  return {
    index: item.index,
    mode: settings.mode,
    ...(item.category !== undefined && { category: item.category }),
    promptSha256: await sha256Hex([new TextEncoder().encode(text), ...item.images]),
    response: result.samples[0]!.text,
    extracted,
    correct: item.answer !== undefined && extracted === item.answer,
    promptTokens: result.usage.promptTokens,
    generatedTokens: result.usage.generatedTokens,
    ms: performance.now() - started,
    ...(votes > 1 && { samples: letters }),
  };
}

/** Checks evaluation settings before any work. */
export function checkEvalSettings(settings: EvalSettings): void {
  if (!['direct', 'cot', 'vote'].includes(settings.mode)) {
    throw new InvalidArgumentError({
      argument: 'mode',
      message: `The mode must be direct, cot or vote, got ${JSON.stringify(settings.mode)}.`,
    });
  }
  if (settings.votes !== undefined && (!Number.isInteger(settings.votes) || settings.votes < 2)) {
    throw new InvalidArgumentError({
      argument: 'votes',
      message: `\`votes\` must be an integer ≥ 2, got ${settings.votes}.`,
    });
  }
}
