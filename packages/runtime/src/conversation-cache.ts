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

interface Slot {
  kv: KvCache;
  blocks: readonly PromptBlock[];
  /** Tokens of the last prompt put in (the answer follows them). */
  promptLength: number;
}

/**
 * The KV caches a runtime keeps between calls, at most `slots` conversations (least recently used
 * dropped first), each with the media identity of its `<img>` blocks, so that a follow-up of any
 * of them recomputes only what changed.
 */
export class ConversationCache {
  // Most recently used last.
  readonly #slots: Slot[] = [];
  #taken: Slot | undefined;

  constructor(
    private readonly decoder: Decoder,
    private readonly slots = 1,
  ) {}

  /** Conversations held now. */
  get size(): number {
    return this.#slots.length;
  }

  /**
   * The cache holding the longest reusable prefix of `ids` among the kept conversations (rewound
   * to it), or a new one (the least recently used conversation dropped when all slots are full),
   * and how many tokens it holds.
   */
  async take(
    ids: readonly number[],
    blocks: readonly PromptBlock[],
  ): Promise<{ kv: KvCache; reused: number }> {
    let best: Slot | undefined;
    let reused = 0;
    for (const slot of this.#slots) {
      const length = reusablePrefixLength({ ids: slot.kv.tokens, blocks: slot.blocks }, ids, blocks);
      if (length > reused) {
        best = slot;
        reused = length;
      }
    }
    if (best && reused < best.promptLength && this.slots > 1) {
      // A different conversation sharing a prefix (the system message, an image), not a follow-up
      // (which repeats the whole last prompt): a fork of the prefix, so that the conversation it
      // came from stays resident too.
      if (this.#slots.length >= this.slots) {
        const victim = this.#slots.find((slot) => slot !== best)!;
        this.#slots.splice(this.#slots.indexOf(victim), 1);
        victim.kv.dispose();
      }
      const kv = best.kv.fork();
      await kv.truncate(reused);
      best = { kv, blocks: [], promptLength: 0 };
    } else if (best) {
      this.#slots.splice(this.#slots.indexOf(best), 1);
      await best.kv.truncate(reused);
    } else {
      if (this.#slots.length >= this.slots) this.#slots.shift()?.kv.dispose();
      best = { kv: this.decoder.createCache(), blocks: [], promptLength: 0 };
    }
    // Until the prompt is in, only the blocks inside the kept prefix are known to be in the cache.
    best.blocks = blocks.filter((block) => block.end <= reused);
    best.promptLength = Math.min(best.promptLength, reused);
    this.#slots.push(best);
    this.#taken = best;
    return { kv: best.kv, reused };
  }

  /** Records that the cache last taken now holds the whole prompt with these blocks. */
  commit(blocks: readonly PromptBlock[], promptLength: number): void {
    if (!this.#taken) return;
    this.#taken.blocks = blocks;
    this.#taken.promptLength = promptLength;
  }

  reset(): void {
    for (const slot of this.#slots.splice(0)) slot.kv.dispose();
    this.#taken = undefined;
  }
}
