import { convertCheckpoint } from '@ivl/convert';
import type { ModelDtype } from '@ivl/core';
import { createProgress, formatBytes } from '../progress.js';
import type { Output } from './chat.js';

export interface ConvertCommandOptions {
  readonly dtype: ModelDtype;
  readonly force?: boolean;
  /** Draw a progress bar (on a terminal), else print progress lines. */
  readonly progress?: boolean;
  readonly signal?: AbortSignal;
}

/** `ivl convert <checkpoint> <out>`: a Hugging Face InternVL checkpoint to an ivl model directory. */
export async function convertCommand(
  checkpoint: string,
  output: string,
  options: ConvertCommandOptions,
  print: (line: string) => void,
  out: Output,
) {
  const progress = createProgress('converting', out, options.progress);
  try {
    const result = await convertCheckpoint(checkpoint, output, {
      dtype: options.dtype,
      overwrite: Boolean(options.force),
      ...(options.signal && { signal: options.signal }),
      onProgress: ({ stage, fraction }) => progress.update(fraction, stage),
    });
    progress.stop();
    const { manifest } = result;
    print(`converted ${checkpoint} -> ${output} in ${(result.elapsedMs / 1000).toFixed(1)} s`);
    print(
      `model        ${manifest.family} LLM (${manifest.dims.layers} layers, hidden ${manifest.dims.llmHidden}), InternViT-${manifest.vision.toUpperCase()}, ${options.dtype}`,
    );
    const total = result.files.reduce((sum, file) => sum + file.bytes, 0);
    for (const file of result.files)
      print(`  ${file.path.padEnd(40)} ${formatBytes(file.bytes).padStart(10)}`);
    print(`total        ${formatBytes(total)} in ${result.files.length} files`);
  } catch (error) {
    progress.stop();
    throw error;
  }
}
