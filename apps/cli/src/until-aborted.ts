/**
 * Resolves when `signal` aborts (Ctrl-C, SIGTERM): how long-running commands (`serve`,
 * `eval worker`) wait before they shut down. Without a signal it never resolves.
 */
export function untilAborted(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) resolve();
    signal?.addEventListener('abort', () => resolve(), { once: true });
  });
}
