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
 * Host buffers with room to grow: per layer `[1, KV, capacity, Dh]` keys and values, of which
 * the first `length` rows of each head are the cache. Shared by forks until one of them writes.
 */
interface Buffers {
  readonly keys: Tensor<'float32'>[];
  readonly values: Tensor<'float32'>[];
  readonly capacity: number;
  refs: number;
}

/** Rows a buffer grows by: a decode step writes into room already there, not a new tensor. */
const CAPACITY_STEP = 256;

/** The inputs of one decoder run, and the outputs to fetch (all when absent). */
export interface KvRunIo {
  readonly feeds: Record<string, CacheTensor>;
  readonly outputs?: readonly string[];
}

/**
 * The key/value cache of one sequence, plus the token ids it holds. Forks share storage (no
 * copy); each fork then grows on its own.
 *
 * Two layouts, chosen by the decoder: for a graph whose past inputs may be longer than the cache
 * (`decoderPast: 'capacity'`), host buffers with spare rows into which each run's new keys and
 * values (`new_key_values.*`) are written, so a step neither fetches nor copies the past;
 * otherwise exact-length tensors replaced by each run's present outputs (also device tensors, e.g.
 * WebGPU buffers, freed when the last cache holding them lets go).
 */
export class KvCache {
  /** @internal */
  entries: { key: Shared; value: Shared }[] | undefined;
  private buffers: Buffers | undefined;
  private readonly tokenIds: number[];
  private disposed = false;
  /** @internal How many times this cache made new capacity buffers (growth or copy-on-write). */
  bufferAllocations = 0;

  /** @internal */
  constructor(
    readonly layers: number,
    readonly kvHeads: number,
    readonly headDim: number,
    /** @internal Past inputs may be longer than the cache: keep growable host buffers. */
    readonly withCapacity = false,
    tokens: number[] = [],
    entries?: { key: Shared; value: Shared }[],
    buffers?: Buffers,
  ) {
    this.tokenIds = tokens;
    this.entries = entries;
    this.buffers = buffers;
  }

  /** Tokens in the cache. */
  get length(): number {
    return this.tokenIds.length;
  }

  /** The token ids the cache holds, in order. */
  get tokens(): readonly number[] {
    return this.tokenIds;
  }

  /**
   * @internal Makes room for `rows` rows in one allocation, before a prefill that runs in several
   * chunks (each of which would otherwise outgrow the buffers, copying the past into larger ones
   * and leaving the old ones to the garbage collector). Nothing for exact-length caches.
   */
  reserve(rows: number): void {
    this.assertAlive();
    if (this.withCapacity) this.writableBuffers(rows);
  }

  /** @internal Past inputs for the next run (empty tensors for an empty cache). */
  pastFeeds(): Record<string, CacheTensor> {
    return this.runIo(0).feeds;
  }

  /**
   * @internal Past inputs for a run that adds `incoming` tokens and, with capacity buffers, the
   * outputs to fetch: the logits and the new rows, never the presents (a copy of the whole past).
   */
  runIo(incoming: number): KvRunIo {
    this.assertAlive();
    const feeds: Record<string, CacheTensor> = {};
    if (this.withCapacity) {
      const buffers = this.writableBuffers(this.length + incoming);
      const outputs = ['logits'];
      for (let layer = 0; layer < this.layers; layer++) {
        feeds[`past_key_values.${layer}.key`] = buffers.keys[layer]!;
        feeds[`past_key_values.${layer}.value`] = buffers.values[layer]!;
        outputs.push(`new_key_values.${layer}.key`, `new_key_values.${layer}.value`);
      }
      return { feeds, outputs };
    }
    for (let layer = 0; layer < this.layers; layer++) {
      const entry = this.entries?.[layer];
      const empty = () => createTensor('float32', [1, this.kvHeads, 0, this.headDim]);
      feeds[`past_key_values.${layer}.key`] = entry?.key.tensor ?? empty();
      feeds[`past_key_values.${layer}.value`] = entry?.value.tensor ?? empty();
    }
    return { feeds };
  }

  /**
   * @internal Takes the outputs of a run that added `tokens`: the new rows (`new_key_values.*`,
   * `[1, T, KV·Dh]`) into the capacity buffers, or the presents as the cache.
   */
  advance(outputs: Record<string, CacheTensor>, tokens: readonly number[]): void {
    this.assertAlive();
    if (this.withCapacity) {
      const { keys, values, capacity } = this.buffers!;
      const dim = this.headDim;
      for (let layer = 0; layer < this.layers; layer++) {
        for (const [kind, own] of [
          ['key', keys[layer]!],
          ['value', values[layer]!],
        ] as const) {
          const rows = (outputs[`new_key_values.${layer}.${kind}`] as Tensor<'float32'>).data;
          for (let t = 0; t < tokens.length; t++) {
            for (let h = 0; h < this.kvHeads; h++) {
              const from = (t * this.kvHeads + h) * dim;
              own.data.set(rows.subarray(from, from + dim), (h * capacity + this.length + t) * dim);
            }
          }
        }
      }
      this.tokenIds.push(...tokens);
      return;
    }
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
    if (this.buffers) this.buffers.refs++;
    return new KvCache(
      this.layers,
      this.kvHeads,
      this.headDim,
      this.withCapacity,
      [...this.tokenIds],
      this.entries ? [...this.entries] : undefined,
      this.buffers,
    );
  }

  /**
   * Rewinds the cache to its first `length` tokens (e.g. to re-ask from a shared prefix).
   * Device tensors are copied back to host memory for this; capacity buffers just forget the rows.
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
    if (this.withCapacity) {
      // Rows past `length` are overwritten by the next run (a shared buffer is copied first).
      this.tokenIds.length = length;
      return;
    }
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
    if (this.buffers) this.buffers.refs--;
    this.buffers = undefined;
    this.disposed = true;
  }

  /**
   * Buffers this cache alone owns with room for `needed` rows: the current ones, or new ones
   * (a step of {@link CAPACITY_STEP} rows past `needed`) holding a copy of the cache's rows when
   * they are too small or shared with a fork.
   */
  private writableBuffers(needed: number): Buffers {
    const current = this.buffers;
    if (current && current.refs === 1 && current.capacity >= needed) return current;
    const capacity = Math.ceil(needed / CAPACITY_STEP) * CAPACITY_STEP;
    const make = () =>
      Array.from({ length: this.layers }, () =>
        createTensor(
          'float32',
          [1, this.kvHeads, capacity, this.headDim],
          new Float32Array(this.kvHeads * capacity * this.headDim),
        ),
      );
    const next: Buffers = { keys: make(), values: make(), capacity, refs: 1 };
    this.bufferAllocations++;
    if (current) {
      for (let layer = 0; layer < this.layers; layer++) {
        this.copyRows(current.keys[layer]!, next.keys[layer]!, 0, this.length);
        this.copyRows(current.values[layer]!, next.values[layer]!, 0, this.length);
      }
      current.refs--;
    }
    this.buffers = next;
    return next;
  }

  /** Copies rows `[from, from + count)` of every head between two `[1, KV, rows, Dh]` tensors. */
  private copyRows(source: Tensor<'float32'>, target: Tensor<'float32'>, from: number, count: number): void {
    const sourceRows = source.dims[2]!;
    const targetRows = target.dims[2]!;
    const dim = this.headDim;
    for (let h = 0; h < this.kvHeads; h++) {
      target.data.set(
        source.data.subarray((h * sourceRows + from) * dim, (h * sourceRows + from + count) * dim),
        (h * targetRows + from) * dim,
      );
    }
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
