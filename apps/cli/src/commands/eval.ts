import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { EvalMode } from '@ivl/eval';
import { formatReport, readResults, renderChart, runEvaluationFile, summarize } from '@ivl/eval/node';
import { type Output, openRuntime } from './chat.js';

export interface EvalCommandOptions {
  readonly data: string;
  readonly model: string;
  readonly mode: EvalMode;
  readonly votes?: number;
  readonly limit?: number;
  readonly maxNewTokens: number;
  readonly out: string;
  readonly postprocess?: boolean;
  readonly device: string;
  readonly threads?: number;
  readonly signal?: AbortSignal;
}

const minutes = (seconds: number) =>
  seconds >= 90 ? `${(seconds / 60).toFixed(1)} min` : `${Math.round(seconds)} s`;

/** `ivl eval`: a VLMEvalKit multiple-choice set, answered and scored, resumable. */
export async function evalCommand(options: EvalCommandOptions, output: Output): Promise<void> {
  const runtime = await openRuntime(
    options.model,
    options.device,
    options.threads,
    output,
    undefined,
    options.signal,
  );
  try {
    const { records } = await runEvaluationFile({
      runtime,
      data: options.data,
      out: options.out,
      model: basename(options.model),
      mode: options.mode,
      maxNewTokens: options.maxNewTokens,
      ...(options.votes !== undefined && { votes: options.votes }),
      ...(options.limit !== undefined && { limit: options.limit }),
      ...(options.postprocess && { postprocess: true }),
      ...(options.signal && { signal: options.signal }),
      onProgress: ({ done, total, correct, etaSeconds, record }) =>
        output.error(
          `[${done}/${total}] question ${record.index}: ${record.extracted}${record.correct ? ' ✓' : ''} · ${correct}/${done} right · ETA ${minutes(etaSeconds)}`,
        ),
    });
    output.line(formatReport([summarize(records)]));
    output.line(`results: ${options.out} (settings in ${options.out}.meta.json)`);
  } finally {
    await runtime.dispose();
  }
}

/** `ivl eval report`: accuracy per run and category, token cost, and a chart. */
export async function evalReportCommand(files: readonly string[], chart: string | undefined, output: Output) {
  const summaries = [];
  for (const file of files) {
    const meta = await readFile(`${file}.meta.json`, 'utf8').then(
      (text) => JSON.parse(text) as { mode: EvalMode; votes?: number },
      () => undefined,
    );
    const label = meta ? (meta.mode === 'vote' ? `vote@${meta.votes}` : meta.mode) : undefined;
    summaries.push(summarize(await readResults(file), label));
  }
  output.line(formatReport(summaries));
  if (chart) {
    await writeFile(chart, renderChart(summaries));
    output.line(`chart: ${chart}`);
  }
}
