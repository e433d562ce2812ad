import { AbortedError } from '@ivl/core';

interface Waiter {
  readonly grant: (release: () => void) => void;
  readonly fail: (error: unknown) => void;
}

/**
 * Runs calls one at a time, first come first served: they share one conversation cache and the
 * sessions. A waiting call leaves the line when its signal aborts; `close` turns every waiting
 * call (and every later one) away with the given error.
 */
export class CallQueue {
  readonly #waiting: Waiter[] = [];
  #busy = false;
  #closed: Error | undefined;
  #idle: (() => void)[] = [];

  /** Whether a call holds the turn now. */
  get busy(): boolean {
    return this.#busy;
  }

  /** Calls waiting for their turn. */
  get depth(): number {
    return this.#waiting.length;
  }

  /**
   * Waits for the turn; resolves with the function that hands it on (call it exactly once).
   * @throws {AbortedError} when `signal` aborts while waiting
   * @throws the error given to {@link close}
   */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (this.#closed) return Promise.reject(this.#closed);
    if (signal?.aborted) return Promise.reject(new AbortedError({ cause: signal.reason }));
    if (!this.#busy) {
      this.#busy = true;
      return Promise.resolve(this.#releaser());
    }
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        const index = this.#waiting.indexOf(waiter);
        if (index !== -1) this.#waiting.splice(index, 1);
        reject(new AbortedError({ cause: signal?.reason }));
      };
      const waiter: Waiter = {
        grant: (release) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(release);
        },
        fail: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(waiter);
    });
  }

  /** Rejects every waiting call, and every later `acquire`, with `error`. The holder keeps its turn. */
  close(error: Error): void {
    this.#closed = error;
    for (const waiter of this.#waiting.splice(0)) waiter.fail(error);
  }

  /** Resolves once no call holds the turn and none waits. */
  whenIdle(): Promise<void> {
    if (!this.#busy) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      if (next) {
        next.grant(this.#releaser());
        return;
      }
      this.#busy = false;
      for (const resolve of this.#idle.splice(0)) resolve();
    };
  }
}
