import { hostname } from 'node:os';
import { InvalidArgumentError } from '@ivl/core';
import type { Runtime } from '@ivl/runtime';
import { type ConnectionOptions, Queue, QueueEvents, Worker } from 'bullmq';
import { type EvalRecord, type EvalSettings, evaluateItem } from '../run-evaluation.js';
import type { EvalItem } from '../vlmevalkit-tsv.js';
import {
  type EvalFileOptions,
  type EvalRunMeta,
  nodeDecodeImage,
  openEvaluation,
  recordAnswers,
} from './results-file.js';

/** The BullMQ queue ivl's evaluations use. */
export const EVAL_QUEUE = 'ivl-eval';

interface EvalJob {
  readonly item: Omit<EvalItem, 'images'> & { readonly images: readonly string[] };
  readonly settings: Pick<
    EvalSettings,
    'mode' | 'votes' | 'maxNewTokens' | 'postprocess' | 'upscaleFirstImage'
  >;
}

/** BullMQ's connection settings for a `redis://[:password@]host:port[/db]` URL. */
export function redisConnection(url: string): ConnectionOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidArgumentError({
      argument: 'queue',
      message: `--queue takes a redis://host:port URL, got ${url}.`,
    });
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new InvalidArgumentError({
      argument: 'queue',
      message: `--queue takes a redis://host:port URL, got ${url}.`,
    });
  }
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    ...(parsed.password && { password: decodeURIComponent(parsed.password) }),
    ...(parsed.pathname.length > 1 && { db: Number(parsed.pathname.slice(1)) }),
    ...(parsed.protocol === 'rediss:' && { tls: {} }),
    // Workers block on Redis; BullMQ asks for no per-request retry limit.
    maxRetriesPerRequest: null,
  };
}

const toBase64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/**
 * Runs an evaluation on a BullMQ queue: the questions not yet in the results file become jobs
 * (one id per run and question, so re-running enqueues nothing twice), workers anywhere answer
 * them (`startEvalWorker`), and the answers are gathered into the results file in question order,
 * each once. BullMQ retries failed jobs (3 attempts) and hands on stalled ones.
 */
export async function runEvaluationOnQueue(
  options: EvalFileOptions & { readonly connection: ConnectionOptions; readonly timeoutMs?: number },
): Promise<{ records: EvalRecord[]; meta: EvalRunMeta }> {
  const { items, records, todo, meta } = await openEvaluation(options);
  const queue = new Queue<EvalJob, EvalRecord>(EVAL_QUEUE, { connection: options.connection });
  const events = new QueueEvents(EVAL_QUEUE, { connection: options.connection });
  try {
    await events.waitUntilReady();
    const run =
      `${meta.dataSha256.slice(0, 16)}-${meta.mode}-${meta.votes ?? 1}-${meta.maxNewTokens}-${meta.postprocess}-${meta.model}`.replace(
        /[^\w.-]/g,
        '_',
      );
    const settings = {
      mode: options.mode,
      maxNewTokens: meta.maxNewTokens,
      postprocess: meta.postprocess,
      ...(meta.votes && { votes: meta.votes }),
    };
    const jobs = await queue.addBulk(
      todo.map((item) => ({
        name: 'question',
        data: { item: { ...item, images: item.images.map(toBase64) }, settings },
        opts: {
          jobId: `${run}-${item.index}`,
          attempts: 3,
          backoff: { type: 'exponential', delay: 1000 },
          removeOnComplete: false,
        },
      })),
    );
    const record = recordAnswers(options, records, items.length, jobs.length);
    for (const job of jobs) await record(await job.waitUntilFinished(events, options.timeoutMs));
    return { records, meta };
  } finally {
    await events.close();
    await queue.close();
  }
}

/**
 * A worker that answers evaluation jobs from the queue with a runtime (loaded once, by the
 * caller); records carry the worker's name. Close it to stop.
 */
export function startEvalWorker(options: {
  readonly connection: ConnectionOptions;
  readonly runtime: Runtime;
  readonly name?: string;
  readonly onJob?: (record: EvalRecord) => void;
}): Worker<EvalJob, EvalRecord> {
  const name = options.name ?? `${hostname()}:${process.pid}`;
  const worker = new Worker<EvalJob, EvalRecord>(
    EVAL_QUEUE,
    async (job) => {
      const { item, settings } = job.data;
      const record = await evaluateItem(
        options.runtime,
        { ...item, images: item.images.map((text) => new Uint8Array(Buffer.from(text, 'base64'))) },
        { ...settings, decodeImage: nodeDecodeImage },
      );
      const answered = { ...record, worker: name };
      options.onJob?.(answered);
      return answered;
    },
    // One question at a time: the runtime answers one call at a time anyway.
    { connection: options.connection, concurrency: 1 },
  );
  return worker;
}
