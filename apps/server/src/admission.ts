import { AbortedError } from '@ivl/core';

/** The request was not admitted: as many run and wait as the server allows. */
export class QueueFullError extends Error {
  constructor(
    readonly active: number,
    readonly waiting: number,
  ) {
    super(`The server is busy: ${active} requests running and ${waiting} waiting, the most it takes.`);
    this.name = 'QueueFullError';
  }
}

/**
 * Admits up to `maxConcurrency` requests at once and lets up to `maxQueue` more wait, first come
 * first served; beyond that a request is refused at once (HTTP 429). A waiting request leaves the
 * line when its signal aborts (its client went away).
 */
export class Admission {
  #active = 0;
  readonly #waiting: { admit: () => void; signal?: AbortSignal }[] = [];

  constructor(
    readonly maxConcurrency: number,
    readonly maxQueue: number,
  ) {}

  get active(): number {
    return this.#active;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  /** Resolves with the function that frees the place (call it once) when the request may run. */
  enter(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(new AbortedError({ cause: signal.reason }));
    if (this.#active < this.maxConcurrency) {
      this.#active++;
      return Promise.resolve(this.#release());
    }
    if (this.#waiting.length >= this.maxQueue) {
      return Promise.reject(new QueueFullError(this.#active, this.#waiting.length));
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        admit: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(this.#release());
        },
        ...(signal && { signal }),
      };
      const onAbort = () => {
        const index = this.#waiting.indexOf(waiter);
        if (index !== -1) this.#waiting.splice(index, 1);
        reject(new AbortedError({ cause: signal?.reason }));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(waiter);
    });
  }

  #release(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.#waiting.shift();
      if (next) next.admit();
      else this.#active--;
    };
  }
}
