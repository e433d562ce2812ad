import cliProgress from 'cli-progress';
import type { Output } from './commands/chat.js';

/** Progress of a long step: a bar on a terminal, else a plain line at every tenth (logs, CI, pipes). */
export interface Progress {
  update(fraction: number, stage: string): void;
  stop(): void;
}

export function createProgress(label: string, output: Output, terminal = process.stderr.isTTY): Progress {
  if (terminal) {
    const bar = new cliProgress.SingleBar(
      { format: `${label} [{bar}] {percentage}% {stage}`, stream: process.stderr, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    bar.start(100, 0, { stage: '' });
    return {
      update: (fraction, stage) => bar.update(Math.round(fraction * 100), { stage }),
      stop: () => bar.stop(),
    };
  }
  let shown = -1;
  return {
    update(fraction, stage) {
      const tenth = Math.floor(fraction * 10);
      if (tenth <= shown) return;
      shown = tenth;
      output.error(`${label} ${tenth * 10}% ${stage}`);
    },
    stop() {},
  };
}
