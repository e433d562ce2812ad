import type { DeviceTensor, Tensor } from '@ivl/core';
import { createTensor, InvalidArgumentError } from '@ivl/core';

type CacheTensor = Tensor<'float32'> | DeviceTensor<'float32'>;

/** A reference-counted cache tensor, so forks can share it and the last owner frees it. */
interface Shared {
  readonly tensor: CacheTensor;
  refs: number;
}

function release(entry: Shared): void {
  entry.refs--;
  if (entry.refs === 0 && 'kind' in entry.tensor) entry.tensor.dispose();
}

/**
 * The key/value cache of one sequence: per layer `[1, KV, length, Dh]` keys and values, plus the
 * token ids they hold. Forks share tensors (no copy); each fork then grows on its own. Device
 * tensors (WebGPU buffers) are freed when the last cache holding them lets go.
 */
export class KvCache {
  /** @internal */
  entries: { key: Shared; value: Shared }[] | undefined;
  private readonly tokenIds: number[];
  private disposed = false;

  /** @internal */
  constructor(
    readonly layers: number,
    readonly kvHeads: number,
    readonly headDim: number,
    tokens: number[] = [],
    entries?: { key: Shared; value: Shared }[],
  ) {
    this.tokenIds = tokens;
    this.entries = entries;
  }

  /** Tokens in the cache. */
  get length(): number {
    return this.tokenIds.length;
  }

  /** The token ids the cache holds, in order. */
  get tokens(): readonly number[] {
    return this.tokenIds;
  }

  /** @internal Past inputs for the next run (empty tensors for an empty cache). */
  pastFeeds(): Record<string, CacheTensor> {
    this.assertAlive();
    const feeds: Record<string, CacheTensor> = {};
    for (let layer = 0; layer < this.layers; layer++) {
      const entry = this.entries?.[layer];
      const empty = () => createTensor('float32', [1, this.kvHeads, 0, this.headDim]);
      feeds[`past_key_values.${layer}.key`] = entry?.key.tensor ?? empty();
      feeds[`past_key_values.${layer}.value`] = entry?.value.tensor ?? empty();
    }
    return feeds;
  }

  /** @internal Takes the present.* outputs of a run that added `tokens`. */
  advance(outputs: Record<string, CacheTensor>, tokens: readonly number[]): void {
    this.assertAlive();
    const next = Array.from({ length: this.layers }, (_, layer) => ({
      key: { tensor: outputs[`present.${layer}.key`]!, refs: 1 },
      value: { tensor: outputs[`present.${layer}.value`]!, refs: 1 },
    }));
    this.releaseEntries();
    this.entries = next;
    this.tokenIds.push(...tokens);
  }

  /** A second cache with the same contents; generating on one does not change the other. */
  fork(): KvCache {
    this.assertAlive();
    for (const entry of this.entries ?? []) {
      entry.key.refs++;
      entry.value.refs++;
    }
    return new KvCache(
      this.layers,
      this.kvHeads,
      this.headDim,
      [...this.tokenIds],
      this.entries ? [...this.entries] : undefined,
    );
  }

  /**
   * Rewinds the cache to its first `length` tokens (e.g. to re-ask from a shared prefix).
   * Device tensors are copied back to host memory for this.
   */
  async truncate(length: number): Promise<void> {
    this.assertAlive();
    if (!Number.isInteger(length) || length < 0 || length > this.length) {
      throw new InvalidArgumentError({
        argument: 'length',
        message: `Can truncate to 0…${this.length} tokens, got ${length}.`,
      });
    }
    if (length === this.length) return;
    const slice = async (shared: Shared): Promise<Shared> => {
      const tensor = 'kind' in shared.tensor ? await shared.tensor.download() : shared.tensor;
      const [, heads, total, dim] = tensor.dims as [number, number, number, number];
      const out = new Float32Array(heads * length * dim);
      for (let h = 0; h < heads; h++)
        out.set(tensor.data.subarray(h * total * dim, (h * total + length) * dim), h * length * dim);
      return { tensor: createTensor('float32', [1, heads, length, dim], out), refs: 1 };
    };
    const next =
      length === 0
        ? undefined
        : await Promise.all(
            (this.entries ?? []).map(async (e) => ({ key: await slice(e.key), value: await slice(e.value) })),
          );
    this.releaseEntries();
    this.entries = next;
    this.tokenIds.length = length;
  }

  /** Frees what only this cache holds. The cache cannot be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.releaseEntries();
    this.entries = undefined;
    this.disposed = true;
  }

  private releaseEntries(): void {
    for (const entry of this.entries ?? []) {
      release(entry.key);
      release(entry.value);
    }
  }

  private assertAlive(): void {
    if (this.disposed)
      throw new InvalidArgumentError({
        argument: 'cache',
        message: 'This KV cache was disposed; fork one before disposing, or start a new one.',
      });
  }
}
