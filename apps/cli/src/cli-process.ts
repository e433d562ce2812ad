import { main } from './main.js';

/**
 * The `ivl` process: runs {@link main} with the conventions of a command-line tool. Ctrl-C
 * (SIGINT) aborts what is running (the answer stops at the next token, the model is disposed)
 * and exits 130; a second Ctrl-C exits at once. SIGTERM ends `ivl serve` gracefully (exit 0) and
 * anything else with 143. When the reader of stdout goes away (`| head`),
 * the command stops quietly instead of crashing on EPIPE.
 */
export async function runCli(argv: readonly string[]): Promise<number> {
  const interrupt = new AbortController();
  let interrupts = 0;
  let terminated = false;
  let brokenPipe = false;
  // SIGTERM asks for a graceful end: `ivl serve` finishes what runs and exits 0.
  process.on('SIGTERM', () => {
    if (terminated) process.exit(143);
    terminated = true;
    interrupt.abort(new Error('terminated (SIGTERM)'));
  });
  process.on('SIGINT', () => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    interrupt.abort(new Error('interrupted (Ctrl-C)'));
  });
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
      brokenPipe = true;
      // The reason says why: a broken pipe ends quietly, an interrupt says so.
      interrupt.abort(error);
    });
  }
  const code = await main(argv, undefined, undefined, { signal: interrupt.signal });
  if (brokenPipe) return 0;
  if (terminated) return code === 0 ? 0 : 143;
  return interrupts > 0 ? 130 : code;
}
