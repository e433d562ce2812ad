import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { VERSION as CONVERTER_VERSION, convertCheckpoint, writeSyntheticCheckpoint } from '@ivl/convert';
import { MODEL_FORMAT_VERSION } from '@ivl/core';
import { internvlQwen2Tokenizer } from '@ivl/synthetic-tokenizers';
import { answer, type Output, openRuntime } from './chat.js';

export interface DemoCommandOptions {
  /** Where the synthetic model is kept between runs. */
  readonly cache: string;
  readonly image?: string;
  readonly question: string;
  readonly maxNewTokens: number;
  /** The bundled sample image. */
  readonly sampleImage: string;
  readonly signal?: AbortSignal;
}

/**
 * `ivl demo`: makes (once) a small synthetic InternVL2.5 model with our converter — real layout,
 * real Qwen tokenizer, random weights — and runs the whole chat pipeline on the bundled image.
 */
export async function demoCommand(options: DemoCommandOptions, output: Output): Promise<void> {
  const model = join(options.cache, 'tiny-qwen2-ivl');
  // What made the cached model: another converter or model format makes it again.
  const stamp = JSON.stringify({ format: MODEL_FORMAT_VERSION, converter: CONVERTER_VERSION, seed: 1 });
  const made = await readFile(join(options.cache, 'tiny-qwen2-made-by.json'), 'utf8').catch(() => undefined);
  if (made !== stamp) {
    const checkpoint = join(options.cache, 'tiny-qwen2-hf');
    output.error(
      `making a small synthetic InternVL2.5 checkpoint (Qwen2 + InternViT-300M layout) in ${checkpoint} …`,
    );
    await writeSyntheticCheckpoint(checkpoint, 'tiny-qwen2', {
      seed: 1,
      tokenizer: internvlQwen2Tokenizer(),
    });
    const result = await convertCheckpoint(checkpoint, model, { overwrite: true });
    await rm(checkpoint, { recursive: true, force: true });
    await writeFile(join(options.cache, 'tiny-qwen2-made-by.json'), stamp);
    output.error(`converted to ${model} in ${(result.elapsedMs / 1000).toFixed(1)} s`);
  }
  output.line('NOTE: this demo model has RANDOM weights (a synthetic checkpoint), so its answer is noise.');
  output.line(
    '      The pipeline is the real one: tiling, vision encoder, projector, prompt, decoder, sampling.',
  );
  output.line('      For real answers, a model from the Hugging Face Hub (downloaded and converted once):');
  output.line('      ivl chat -m hf:OpenGVLab/InternVL2_5-1B -i photo.jpg "Describe the image."');
  const runtime = await openRuntime(model, 'cpu', undefined, output, undefined, options.signal);
  try {
    const image = options.image ?? options.sampleImage;
    output.line(`image: ${image}`);
    output.line(`question: ${options.question}`);
    output.write('answer: ');
    await answer(
      runtime,
      [
        {
          role: 'user',
          content: [
            { type: 'image', image },
            { type: 'text', text: options.question },
          ],
        },
      ],
      { maxNewTokens: options.maxNewTokens, maxTiles: 12, ...(options.signal && { signal: options.signal }) },
      output,
    );
  } finally {
    await runtime.dispose();
  }
}
