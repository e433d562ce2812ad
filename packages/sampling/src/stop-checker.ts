import { InvalidArgumentError } from '@ivl/core';
import { checkRange } from './check-options.js';

/** Why generation stopped. */
export type StopReason = 'eos' | 'max-tokens' | 'stop-string';

/** Options of {@link createStopChecker}. */
export interface StopOptions {
  /** Token ids that end the answer (InternVL: `<|im_end|>`), not emitted as text. */
  readonly eosTokenIds?: readonly number[];
  /** Most tokens to generate. @default Infinity */
  readonly maxNewTokens?: number;
  /** Strings that end the answer; they may span several tokens and are not emitted. */
  readonly stopStrings?: readonly string[];
}

/** The outcome of one {@link StopChecker.push}. */
export interface StopStep {
  /** Text now safe to show: it cannot be the start of a stop string. */
  readonly text: string;
  readonly done: boolean;
  readonly reason?: StopReason;
}

/** Tracks stop conditions token by token, holding back text that may begin a stop string. */
export interface StopChecker {
  /**
   * Records one generated token and its decoded text.
   * After `done` the checker must not be pushed again.
   */
  push(tokenId: number, text: string): StopStep;
  /** Held-back text, to emit when generation ends for another reason (e.g. cancellation). */
  flush(): string;
  readonly tokenCount: number;
}

/**
 * Creates a stop checker.
 *
 * @example
 * ```ts
 * const stop = createStopChecker({ eosTokenIds: [151645], maxNewTokens: 1024, stopStrings: ['\nUser:'] });
 * const step = stop.push(id, textOfId); // step.text is safe to stream
 * ```
 */
export function createStopChecker(options: StopOptions = {}): StopChecker {
  const { eosTokenIds = [], maxNewTokens = Number.POSITIVE_INFINITY, stopStrings = [] } = options;
  if (maxNewTokens !== Number.POSITIVE_INFINITY) {
    checkRange('maxNewTokens', maxNewTokens, { min: 1, max: Number.MAX_SAFE_INTEGER, integer: true });
  }
  if (stopStrings.some((s) => typeof s !== 'string' || s.length === 0)) {
    throw new InvalidArgumentError({
      argument: 'stopStrings',
      message: '`stopStrings` must be non-empty strings.',
    });
  }
  const eos = new Set(eosTokenIds);
  let pending = '';
  let count = 0;
  let finished = false;

  // Length of the longest suffix of `text` that is a proper prefix of some stop string.
  const heldLength = (text: string) => {
    let held = 0;
    for (const stop of stopStrings) {
      for (let length = Math.min(stop.length - 1, text.length); length > held; length--) {
        if (text.endsWith(stop.slice(0, length))) {
          held = length;
          break;
        }
      }
    }
    return held;
  };

  return {
    get tokenCount() {
      return count;
    },
    push(tokenId, text) {
      if (finished) {
        throw new InvalidArgumentError({
          argument: 'push',
          message: 'Generation already stopped; create a new stop checker.',
        });
      }
      count++;
      if (eos.has(tokenId)) {
        finished = true;
        const rest = pending;
        pending = '';
        return { text: rest, done: true, reason: 'eos' };
      }
      pending += text;
      let first = -1;
      for (const stop of stopStrings) {
        const at = pending.indexOf(stop);
        if (at !== -1 && (first === -1 || at < first)) first = at;
      }
      if (first !== -1) {
        finished = true;
        const out = pending.slice(0, first);
        pending = '';
        return { text: out, done: true, reason: 'stop-string' };
      }
      if (count >= maxNewTokens) {
        finished = true;
        const out = pending;
        pending = '';
        return { text: out, done: true, reason: 'max-tokens' };
      }
      const keep = heldLength(pending);
      const out = pending.slice(0, pending.length - keep);
      pending = pending.slice(pending.length - keep);
      return { text: out, done: false };
    },
    flush() {
      const out = pending;
      pending = '';
      return out;
    },
  };
}
