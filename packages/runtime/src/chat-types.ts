import type { GroundedObject } from '@ivl/prompt';
import type { ResponseFormat, SamplingOptions, VoteResult } from '@ivl/sampling';

/** Options of one `chat` call. Sampling options override `generation_config.json`. */
export interface ChatOptions extends SamplingOptions {
  /**
   * Most tokens to generate; clipped to the room the context leaves after the prompt (reported in
   * `usage`). @default generation_config's max_new_tokens, else 1024
   */
  readonly maxNewTokens?: number;
  /** Tile budget shared by the conversation's images (spec §1.3: max(1, floor(maxTiles / images)) each). @default 12 */
  readonly maxTiles?: number;
  /** Frames sampled from each video (one tile each). @default 8 */
  readonly videoFrames?: number;
  /** `Frame1:` (model card, default) or `Frame-1:` (training) video labels. */
  readonly frameLabel?: 'Frame1' | 'Frame-1';
  /** Replaces the model's system message. */
  readonly systemMessage?: string;
  /** Extra strings that end the answer. */
  readonly stopStrings?: readonly string[];
  /**
   * `cot` appends the paper's chain-of-thought prompt to the question. `think`: InternVL3.5's
   * thinking mode: its reasoning system prompt (unless the messages or `systemMessage` give one),
   * its sampling (T 0.6, top-p 0.95, unless set here), and the reply's `<think>…</think>` kept out
   * of `text`, reported as `reasoning`; votes count the answers after it.
   */
  readonly reasoning?: 'cot' | 'think';
  /** Which CoT prompt; `auto` picks multiple-choice when the question lists options like `A. …`. @default 'auto' */
  readonly cotKind?: 'auto' | 'multiple-choice' | 'open-ended';
  /** Sample this many answers from one shared prefill and majority-vote their final answers. @default 1 */
  readonly votes?: number;
  /**
   * Constrains decoding so that the answer always matches: OpenAI's `{ type: 'json_schema',
   * json_schema: { schema } }` and `{ type: 'json_object' }`, `{ type: 'regex', pattern }`,
   * `{ type: 'choice', choices }` or `{ type: 'grammar', ebnf }` (XGrammar). Every vote is
   * constrained. An answer cut by `maxNewTokens` (finish reason `max-tokens`) may be incomplete.
   */
  readonly responseFormat?: ResponseFormat;
  /** Stops encoding or decoding at the next step. */
  readonly signal?: AbortSignal;
}

/** Token counts of a chat call. */
export interface ChatUsage {
  readonly promptTokens: number;
  readonly imageTokens: number;
  /** Prompt tokens already in the KV cache from the previous turn (not recomputed). */
  readonly reusedTokens: number;
  readonly generatedTokens: number;
  /** The answer budget used: `maxNewTokens`, clipped to what the context has room for. */
  readonly maxNewTokens: number;
  /** Whether the context clipped `maxNewTokens` (an answer that fills it ends with `length`). */
  readonly maxNewTokensClipped: boolean;
}

/** Wall-clock times of a chat call. */
export interface ChatTimings {
  readonly encodeMs: number;
  readonly prefillMs: number;
  readonly decodeMs: number;
  /** Generated tokens per second of decoding. */
  readonly decodeTokensPerSecond: number;
  /** Time spent computing grammar masks (with `responseFormat`), part of `decodeMs`. */
  readonly constraintMs: number;
}

/**
 * Why generation ended: the end-of-answer token, `maxNewTokens`, a stop string, or `length`: the
 * model's context filled up (the answer so far is kept).
 */
export type FinishReason = 'eos' | 'max-tokens' | 'stop-string' | 'length';

/** One sampled answer (several with `votes`). */
export interface ChatSample {
  /** The answer (in thinking mode, what follows `</think>`). */
  readonly text: string;
  /** Thinking mode: the text inside `<think>…</think>`. */
  readonly reasoning?: string;
  readonly tokenIds: readonly number[];
  readonly finishReason: FinishReason;
}

/** The final result of a chat call. */
export interface ChatResult {
  /** The answer (the vote winner's full response with `votes`; in thinking mode without the think section). */
  readonly text: string;
  /** Thinking mode: the reasoning inside the answer's `<think>…</think>`, kept out of `text`. */
  readonly reasoning?: string;
  readonly finishReason: FinishReason;
  readonly usage: ChatUsage;
  readonly timings: ChatTimings;
  readonly samples: readonly ChatSample[];
  /** With `votes`: the majority vote over the samples' final answers. */
  readonly vote?: VoteResult;
  /**
   * The answer's `<ref>…</ref><box>…</box>` regions (0–1000), with boxes in pixels when the
   * conversation shows exactly one image; empty when it grounds nothing.
   */
  readonly grounding: readonly GroundedObject[];
}

/** Streamed events of a chat call, in order. */
export type ChatEvent =
  | {
      readonly type: 'image-encoded';
      readonly images: number;
      readonly videos: number;
      /** Tiles encoded now. */
      readonly tiles: number;
      /** `<img>` blocks (an image, or one video frame) whose embeddings came from the media cache. */
      readonly cachedItems: number;
      readonly ms: number;
    }
  | {
      readonly type: 'prefill-done';
      readonly promptTokens: number;
      readonly reusedTokens: number;
      readonly maxNewTokens: number;
      readonly ms: number;
    }
  | {
      readonly type: 'token-delta';
      readonly text: string;
      readonly tokenId: number;
      readonly sample: number;
      /** Thinking mode: the text is part of the reasoning, not of the answer. */
      readonly reasoning?: true;
    }
  | { readonly type: 'sample-done'; readonly sample: number; readonly text: string; readonly answer?: string }
  | ({ readonly type: 'done' } & ChatResult);

/** What `chat` returns: iterate it for events, or await `result()` / `text()`. */
export interface ChatStream extends AsyncIterable<ChatEvent> {
  /** The final result (consumes any events not yet iterated). */
  result(): Promise<ChatResult>;
  /** The final answer text. */
  text(): Promise<string>;
}
