import type { Decoder, KvCache } from '@ivl/decoder';

/** Where an `<img>` block sits in a prompt, and what it shows (a media block's key). */
export interface PromptBlock {
  /** Position of `<img>`. */
  readonly start: number;
  /** Position just past `</img>`. */
  readonly end: number;
  readonly key: string | undefined;
}

/**
 * The `<img>…</img>` spans of `ids`, given the identities of the media behind them in order.
 * A span beyond the media given (a user who typed a literal `<img>`) has no identity, so it never
 * matches another one.
 */
export function findPromptBlocks(
  ids: readonly number[],
  keys: readonly string[],
  tokens: { readonly imgStart: number; readonly imgEnd: number },
): PromptBlock[] {
  const blocks: PromptBlock[] = [];
  let start = -1;
  for (let position = 0; position < ids.length; position++) {
    if (ids[position] === tokens.imgStart) start = position;
    else if (ids[position] === tokens.imgEnd && start !== -1) {
      blocks.push({ start, end: position + 1, key: keys[blocks.length] });
      start = -1;
    }
  }
  return blocks;
}

/**
 * How many leading tokens of a cached sequence a new prompt can reuse. Token ids alone say
 * nothing about images (every image token is `<IMG_CONTEXT>`), so the prefix ends at the first
 * position where the ids differ, or at the start of the first `<img>` block that the two do not
 * share with the same media; it never ends inside a block. At least one token of the prompt is
 * always left to compute, for the logits.
 */
export function reusablePrefixLength(
  cached: { readonly ids: readonly number[]; readonly blocks: readonly PromptBlock[] },
  ids: readonly number[],
  blocks: readonly PromptBlock[],
): number {
  let length = 0;
  const limit = Math.min(cached.ids.length, ids.length - 1);
  while (length < limit && cached.ids[length] === ids[length]) length++;
  const cachedAt = new Map(cached.blocks.map((block) => [block.start, block]));
  const newAt = new Map(blocks.map((block) => [block.start, block]));
  for (const block of [...cached.blocks, ...blocks]) {
    if (block.start >= length) continue;
    const before = cachedAt.get(block.start);
    const after = newAt.get(block.start);
    const same =
      before !== undefined &&
      after !== undefined &&
      before.key !== undefined &&
      before.key === after.key &&
      before.end === after.end;
    if (!same || block.end > length) length = Math.min(length, block.start);
  }
  return length;
}

/**
 * The one KV cache a runtime keeps between calls: the last conversation's tokens, with the media
 * identity of each of its `<img>` blocks, so that a follow-up recomputes only what changed.
 */
export class ConversationCache {
  #kv: KvCache | undefined;
  #blocks: readonly PromptBlock[] = [];

  constructor(private readonly decoder: Decoder) {}

  /**
   * A cache holding the longest reusable prefix of `ids` (rewound from the last conversation's,
   * or new), and how many tokens it holds.
   */
  async take(
    ids: readonly number[],
    blocks: readonly PromptBlock[],
  ): Promise<{ kv: KvCache; reused: number }> {
    const reused = this.#kv
      ? reusablePrefixLength({ ids: this.#kv.tokens, blocks: this.#blocks }, ids, blocks)
      : 0;
    if (this.#kv && reused > 0) {
      await this.#kv.truncate(reused);
    } else {
      this.#kv?.dispose();
      this.#kv = this.decoder.createCache();
    }
    // Until the prompt is in, only the blocks inside the kept prefix are known to be in the cache.
    this.#blocks = blocks.filter((block) => block.end <= reused);
    return { kv: this.#kv!, reused };
  }

  /** Records that the cache now holds the whole prompt with these blocks. */
  commit(blocks: readonly PromptBlock[]): void {
    this.#blocks = blocks;
  }

  reset(): void {
    this.#kv?.dispose();
    this.#kv = undefined;
    this.#blocks = [];
  }
}
