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
      {
        format: `${label} [{bar}] {percentage}% {stage} (eta {eta_formatted})`,
        stream: process.stderr,
        hideCursor: true,
      },
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

/** Bytes as people read them: 1.2 GB, 38.4 MB, 12.0 kB. */
export function formatBytes(bytes: number): string {
  return bytes >= 1e9
    ? `${(bytes / 1e9).toFixed(2)} GB`
    : bytes >= 1e6
      ? `${(bytes / 1e6).toFixed(1)} MB`
      : `${(bytes / 1e3).toFixed(1)} kB`;
}

/** What a model's preparation reports: downloading (bytes), converting (stages), loading (bytes). */
export type ModelProgressEvent =
  | {
      readonly type: 'download';
      readonly file: string;
      readonly loadedBytes: number;
      readonly totalBytes: number;
    }
  | { readonly type: 'convert'; readonly stage: string; readonly fraction: number }
  | {
      readonly type: 'load';
      readonly file: string;
      readonly loadedBytes: number;
      readonly totalBytes: number;
    };

/** One progress display per phase (a new bar or run of lines when the phase changes). */
export function createModelProgress(output: Output) {
  let phase: ModelProgressEvent['type'] | undefined;
  let current: Progress | undefined;
  const labels = { download: 'downloading', convert: 'converting', load: 'loading' } as const;
  return {
    update(event: ModelProgressEvent) {
      if (event.type !== phase) {
        current?.stop();
        phase = event.type;
        current = createProgress(labels[phase], output);
      }
      if (event.type === 'convert') current!.update(event.fraction, event.stage);
      else
        current!.update(
          event.totalBytes > 0 ? event.loadedBytes / event.totalBytes : 1,
          `${event.file} (${formatBytes(event.loadedBytes)} of ${formatBytes(event.totalBytes)})`,
        );
    },
    stop: () => current?.stop(),
  };
}
