import { createHash } from 'node:crypto';
import { appendFile, readFile, rename, writeFile } from 'node:fs/promises';
import { InvalidArgumentError } from '@ivl/core';
import type { Runtime } from '@ivl/runtime';
import { decodeImage } from '@ivl/tiling/node';
import { checkEvalSettings, type EvalRecord, type EvalSettings, evaluateItem } from '../run-evaluation.js';
import { readVlmEvalTsv } from '../vlmevalkit-tsv.js';

/** sharp's decoding, as the runtime's Node entry decodes images. */
export const nodeDecodeImage = (bytes: Uint8Array) => decodeImage(bytes);

/** What a results file was made with, kept beside it (`<out>.meta.json`), not in it. */
export interface EvalRunMeta {
  readonly data: string;
  readonly dataSha256: string;
  readonly model: string;
  readonly mode: EvalSettings['mode'];
  readonly votes?: number;
  readonly maxNewTokens: number;
  readonly postprocess: boolean;
  readonly upscaleFirstImage: boolean;
  readonly startedAt: string;
}

/** Progress of a run: after each question. */
export interface EvalProgress {
  readonly done: number;
  readonly total: number;
  readonly correct: number;
  /** Seconds left at the pace of this run so far. */
  readonly etaSeconds: number;
  readonly record: EvalRecord;
}

/**
 * The records of a results file. A last line cut short by a killed run is dropped from the file
 * (it was not an answer), so that a resumed run appends after the last complete one.
 */
export async function readResults(path: string): Promise<EvalRecord[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  const lines = text.split('\n');
  const records: EvalRecord[] = [];
  let complete = 0;
  for (const [number, line] of lines.entries()) {
    if (line === '') continue;
    try {
      records.push(JSON.parse(line) as EvalRecord);
      complete += line.length + 1;
    } catch (error) {
      if (number < lines.length - 1) {
        throw new InvalidArgumentError({
          argument: 'out',
          message: `${path} line ${number + 1} is not a JSON record; it is not an ivl results file (or it was edited).`,
          cause: error,
        });
      }
      // The unfinished last line of a killed run: cut it off, through a temporary file.
      await writeFile(`${path}.tmp`, text.slice(0, complete));
      await rename(`${path}.tmp`, path);
    }
  }
  return records;
}

/**
 * Runs an evaluation over a VLMEvalKit TSV into a JSON-lines file, one line per question appended
 * as it is answered. Run again with the same settings, it resumes after the questions already in
 * the file: nothing is lost or counted twice. Other settings for an existing file are refused.
 *
 * @throws {InvalidArgumentError} for bad settings, or a results file made with other settings
 */
export async function runEvaluationFile(
  options: EvalFileOptions & { readonly runtime: Runtime },
): Promise<{ records: EvalRecord[]; meta: EvalRunMeta }> {
  const { items, records, todo, meta } = await openEvaluation(options);
  const record = recordAnswers(options, records, items.length, todo.length);
  for (const item of todo) {
    await record(await evaluateItem(options.runtime, item, { ...options, decodeImage: nodeDecodeImage }));
  }
  return { records, meta };
}

/**
 * Appends each answer to the results file as one whole line (a kill leaves at most one unfinished
 * line), keeps the records, and reports progress with an ETA at this run's pace.
 * @internal
 */
export function recordAnswers(
  options: Pick<EvalFileOptions, 'out' | 'onProgress'>,
  records: EvalRecord[],
  total: number,
  pending: number,
): (record: EvalRecord) => Promise<void> {
  const started = performance.now();
  let correct = records.filter((record) => record.correct).length;
  let answered = 0;
  return async (record) => {
    await appendFile(options.out, `${JSON.stringify(record)}\n`);
    records.push(record);
    if (record.correct) correct++;
    answered++;
    const elapsed = (performance.now() - started) / 1000;
    options.onProgress?.({
      done: records.length,
      total,
      correct,
      etaSeconds: (elapsed / answered) * (pending - answered),
      record,
    });
  };
}

/** Where and how an evaluation runs. */
export interface EvalFileOptions extends EvalSettings {
  /** The TSV file. */
  readonly data: string;
  /** The results file (JSON lines). */
  readonly out: string;
  /** The model's name, for the run's metadata. */
  readonly model: string;
  /** Only the first `limit` questions. */
  readonly limit?: number;
  readonly onProgress?: (progress: EvalProgress) => void;
}

/**
 * Reads the set and the results so far, and writes (or checks) the run's settings beside them.
 * @internal
 */
export async function openEvaluation(options: EvalFileOptions) {
  checkEvalSettings(options);
  const bytes = await readFile(options.data).catch((error: unknown) => {
    throw new InvalidArgumentError({
      argument: 'data',
      message: `Cannot read ${options.data}.`,
      cause: error,
    });
  });
  const items = readVlmEvalTsv(bytes.toString('utf8')).slice(0, options.limit ?? Number.POSITIVE_INFINITY);
  const meta: EvalRunMeta = {
    data: options.data,
    dataSha256: createHash('sha256').update(bytes).digest('hex'),
    model: options.model,
    mode: options.mode,
    ...(options.mode === 'vote' && { votes: options.votes ?? 5 }),
    maxNewTokens: options.maxNewTokens ?? 4096,
    postprocess: options.postprocess ?? false,
    upscaleFirstImage: options.upscaleFirstImage ?? false,
    startedAt: new Date().toISOString(),
  };
  const metaPath = `${options.out}.meta.json`;
  const existing = await readFile(metaPath, 'utf8').then(
    (text) => JSON.parse(text) as EvalRunMeta,
    () => undefined,
  );
  if (existing) {
    const differs = (
      ['dataSha256', 'model', 'mode', 'votes', 'maxNewTokens', 'postprocess', 'upscaleFirstImage'] as const
    ).filter((key) => existing[key] !== meta[key]);
    if (differs.length > 0) {
      throw new InvalidArgumentError({
        argument: 'out',
        message: `${options.out} was started with other settings (${differs.map((key) => `${key}: ${String(existing[key])} there, ${String(meta[key])} now`).join('; ')}). Use another --out, or the same settings to resume.`,
      });
    }
  } else {
    await writeFile(metaPath, `${JSON.stringify(meta, null, 2)}\n`);
  }
  const records = await readResults(options.out);
  const done = new Set(records.map((record) => record.index));
  const todo = items.filter((item) => !done.has(item.index));
  return { items, records, todo, meta: existing ?? meta };
}
