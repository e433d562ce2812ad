import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { EvalMode } from '@ivl/eval';
import {
  formatReport,
  readResults,
  redisConnection,
  renderChart,
  runEvaluationFile,
  runEvaluationOnQueue,
  startEvalWorker,
  summarize,
} from '@ivl/eval/node';
import { untilAborted } from '../until-aborted.js';
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
  /** Upscale the first image 2× as VLMEvalKit does on MMMU. @default when the data file's name contains MMMU */
  readonly upscaleFirstImage?: boolean;
  /** `redis://…`: put the questions on a BullMQ queue for `ivl eval worker`s, gather the answers. */
  readonly queue?: string;
  readonly signal?: AbortSignal;
}

const minutes = (seconds: number) =>
  seconds >= 90 ? `${(seconds / 60).toFixed(1)} min` : `${Math.round(seconds)} s`;

type ProgressRecord = { index: string; extracted: string; correct: boolean; worker?: string };

const progressLine =
  (output: Output) =>
  (progress: {
    done: number;
    total: number;
    correct: number;
    etaSeconds: number;
    record: ProgressRecord;
  }) => {
    const { done, total, correct, etaSeconds, record } = progress;
    output.error(
      `[${done}/${total}] question ${record.index}: ${record.extracted}${record.correct ? ' ✓' : ''}${record.worker ? ` (${record.worker})` : ''} · ${correct}/${done} right · ETA ${minutes(etaSeconds)}`,
    );
  };

/**
 * `ivl eval`: a VLMEvalKit multiple-choice set, answered and scored, resumable. With `--queue`
 * the questions go to a BullMQ queue and `ivl eval worker` processes answer them.
 */
export async function evalCommand(options: EvalCommandOptions, output: Output): Promise<void> {
  if (basename(options.data) === 'eval-sample.tsv') {
    output.error(
      'NOTE: the bundled sample set has synthetic pictures and questions; with the demo model (random weights) the answers are noise.',
    );
  }
  const common = {
    data: options.data,
    out: options.out,
    model: basename(options.model),
    mode: options.mode,
    maxNewTokens: options.maxNewTokens,
    ...(options.votes !== undefined && { votes: options.votes }),
    ...(options.limit !== undefined && { limit: options.limit }),
    ...(options.postprocess && { postprocess: true }),
    // VLMEvalKit: upscale=True where listinstr(['MMMU'], dataset).
    upscaleFirstImage: options.upscaleFirstImage ?? basename(options.data).includes('MMMU'),
    onProgress: progressLine(output),
  };
  let records: Awaited<ReturnType<typeof runEvaluationFile>>['records'];
  if (options.queue) {
    // The workers load the model; this process only hands out questions and gathers answers.
    output.error(`queueing on ${options.queue}; \`ivl eval worker\` processes answer`);
    ({ records } = await runEvaluationOnQueue({ ...common, connection: redisConnection(options.queue) }));
  } else {
    const runtime = await openRuntime(
      options.model,
      options.device,
      options.threads,
      output,
      undefined,
      options.signal,
    );
    try {
      ({ records } = await runEvaluationFile({
        runtime,
        ...common,
        ...(options.signal && { signal: options.signal }),
      }));
    } finally {
      await runtime.dispose();
    }
  }
  output.line(formatReport([summarize(records)]));
  output.line(`results: ${options.out} (settings in ${options.out}.meta.json)`);
}

/** `ivl eval worker`: answers queued questions with a model loaded once, until Ctrl-C or SIGTERM. */
export async function evalWorkerCommand(
  options: {
    readonly queue: string;
    readonly model: string;
    readonly device: string;
    readonly threads?: number;
    readonly signal?: AbortSignal;
  },
  output: Output,
): Promise<void> {
  const runtime = await openRuntime(
    options.model,
    options.device,
    options.threads,
    output,
    undefined,
    options.signal,
  );
  const worker = startEvalWorker({
    connection: redisConnection(options.queue),
    runtime,
    onJob: (record) => output.error(`answered question ${record.index}: ${record.extracted}`),
  });
  output.error(`worker ${process.pid} on ${options.queue}, waiting for questions`);
  await untilAborted(options.signal);
  await worker.close();
  await runtime.dispose();
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
