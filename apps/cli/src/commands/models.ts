import { InvalidArgumentError, type ModelDtype } from '@ivl/core';
import { type CachedModel, listCachedModels, prepareModel, removeCachedModels } from '@ivl/runtime/node';
import { createModelProgress, formatBytes } from '../progress.js';
import type { Output } from './chat.js';

export interface PullCommandOptions {
  readonly revision?: string;
  readonly dtype: ModelDtype;
  readonly json?: boolean;
  readonly signal?: AbortSignal;
}

/** `OpenGVLab/InternVL2_5-1B`, `hf:OpenGVLab/InternVL2_5-1B` or either with `@revision` → the `hf:` form. */
function hubModel(id: string, revision: string | undefined): string {
  const bare = id.startsWith('hf:') ? id.slice(3) : id;
  if (revision && bare.includes('@')) {
    throw new InvalidArgumentError({
      argument: 'revision',
      message: `${id} already names a revision; drop --revision ${revision} or the @ part.`,
    });
  }
  return `hf:${bare}${revision ? `@${revision}` : ''}`;
}

/**
 * `ivl pull <owner/name>`: downloads a checkpoint from the Hugging Face Hub (resumable; HF_TOKEN
 * and HF_ENDPOINT honoured) and converts it once, so that `ivl chat -m hf:<owner/name>` starts at once.
 */
export async function pullCommand(id: string, options: PullCommandOptions, output: Output): Promise<void> {
  const model = hubModel(id, options.revision);
  const progress = createModelProgress(output);
  let directory: string;
  try {
    directory = await prepareModel({
      model,
      dtype: options.dtype,
      ...(options.signal && { signal: options.signal }),
      onProgress: (event) => progress.update(event),
    });
  } finally {
    progress.stop();
  }
  const entry = (await listCachedModels()).find((cached) => cached.path === directory);
  if (options.json) {
    output.line(JSON.stringify({ model, directory, dtype: options.dtype, commit: entry?.commit ?? null }));
    return;
  }
  output.line(`${model} (${options.dtype}${entry?.commit ? `, commit ${entry.commit.slice(0, 12)}` : ''})`);
  output.line(`ready in ${directory}`);
  output.line(`chat with it: ivl chat -m ${model} -i photo.jpg "Describe the image."`);
}

function describe(model: CachedModel): string {
  const what =
    model.kind === 'checkpoint'
      ? `checkpoint  ${model.repo}@${model.commit!.slice(0, 12)}`
      : `converted   ${model.repo ? `${model.repo}@${model.commit!.slice(0, 12)}` : model.source} ${model.dtype ?? ''}`;
  return `${formatBytes(model.bytes).padStart(10)}  ${what}\n            ${model.path}`;
}

/** `ivl models`: what the caches hold (downloaded checkpoints and converted models), with sizes. */
export async function modelsCommand(options: { json?: boolean }, output: Output): Promise<void> {
  const models = await listCachedModels();
  if (options.json) {
    output.line(JSON.stringify(models));
    return;
  }
  if (models.length === 0) {
    output.line('no cached models (ivl pull <owner/name> downloads and converts one)');
    return;
  }
  for (const model of models) output.line(describe(model));
  const total = models.reduce((sum, model) => sum + model.bytes, 0);
  output.line(`${formatBytes(total).padStart(10)}  in ${models.length} entries`);
}

/** `ivl models rm <owner/name[@commit] | id>`: removes a model's snapshots and conversions. */
export async function modelsRemoveCommand(selector: string, output: Output): Promise<void> {
  const removed = await removeCachedModels(selector);
  for (const model of removed) output.line(`removed ${describe(model)}`);
  const total = removed.reduce((sum, model) => sum + model.bytes, 0);
  output.line(`freed ${formatBytes(total)}`);
}
