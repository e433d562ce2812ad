import { AbortedError, InvalidArgumentError, IvlError } from '@ivl/core';

/** A command used wrongly (bad option value, unknown option, missing argument): exit 2, by convention. */
export const USAGE_EXIT_CODE = 2;

/** What a failed command prints and exits with. */
export interface ErrorReport {
  /** Lines for stderr: one, `ivl: <Class>: message`, unless `verbose` (then the stack and causes too). */
  readonly lines: readonly string[];
  readonly exitCode: number;
}

const isBrokenPipe = (error: unknown) =>
  typeof error === 'object' && error !== null && (error as NodeJS.ErrnoException).code === 'EPIPE';

/**
 * Turns any error into the one line a user sees: `ivl: ImageDecodeError: …`, exit code 1 (2 for
 * an argument the command refused before any work). An
 * interrupt (Ctrl-C) exits 130, as shells expect; a reader that went away (EPIPE) ends quietly.
 */
export function reportError(
  error: unknown,
  options: { readonly verbose: boolean; readonly signal?: AbortSignal | undefined },
): ErrorReport {
  const { signal } = options;
  if (isBrokenPipe(error) || (signal?.aborted && isBrokenPipe(signal.reason)))
    return { lines: [], exitCode: 0 };
  if (signal?.aborted && (AbortedError.isInstance(error) || (error as Error)?.name === 'AbortError')) {
    return { lines: ['ivl: interrupted'], exitCode: 130 };
  }
  const name = error instanceof Error ? error.name : 'Error';
  const message =
    error instanceof Error
      ? error.message.split('\n')[0]!
      : `${typeof error === 'string' ? error : String(error)}`;
  const lines = [`ivl: ${name}: ${message}`];
  if (!options.verbose && !IvlError.isInstance(error)) {
    lines.push(
      'ivl: this is not an error ivl expected; run again with --verbose for the details, and please report it.',
    );
  }
  if (options.verbose) {
    let cause: unknown = error;
    while (cause instanceof Error) {
      if (cause.stack) lines.push(cause.stack);
      cause = cause.cause;
      if (cause !== undefined) lines.push('caused by:');
    }
    if (cause !== undefined && !(cause instanceof Error)) lines.push(String(cause));
  }
  return { lines, exitCode: InvalidArgumentError.isInstance(error) ? USAGE_EXIT_CODE : 1 };
}
