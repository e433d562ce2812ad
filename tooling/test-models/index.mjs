import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertCheckpoint, writeSyntheticCheckpoint } from '@ivl/convert';
import { partSource } from '@ivl/core';
import {
  internlm2Tokenizer,
  internvlQwen2Tokenizer,
  internvlQwen3Tokenizer,
} from '@ivl/synthetic-tokenizers';

export { internlm2Tokenizer };

/**
 * The synthetic tokenizer of a preset's family. InternLM3's real tokenizer is not published on npm:
 * its tiny model uses the InternLM2 stand-in (a SentencePiece BPE with `<s>` = 1).
 * @param {string} preset
 */
export function presetTokenizer(preset) {
  if (preset.includes('qwen3') || preset.startsWith('internvl3_5')) return internvlQwen3Tokenizer();
  if (preset.includes('qwen2') || preset.startsWith('internvl2_5-1b')) return internvlQwen2Tokenizer();
  return internlm2Tokenizer();
}

const require = createRequire(import.meta.url);

/**
 * A tiny converted model, cached across test files and runs. The cache key includes the
 * converter's built code, so a changed converter never serves a stale model.
 * @param {'tiny-qwen2' | 'tiny-internlm2' | 'tiny-qwen3' | 'tiny-internlm3'} preset
 * @param {{ seed?: number, dtype?: string, layout?: 'internvl' | 'hf', inPlaceAttentionMinBytes?: number }} [options]
 *   `layout: 'hf'` writes the checkpoint as transformers' `-hf` conversion does (the same values);
 *   `inPlaceAttentionMinBytes: 0` makes every capacity buffer attend in place (the tiny caches are
 *   far below the default size).
 * @returns {Promise<{ checkpoint: string, model: string }>}
 */
export async function tinyModel(
  preset,
  { seed = 7, dtype = 'fp32', layout = 'internvl', inPlaceAttentionMinBytes } = {},
) {
  const converter = readFileSync(require.resolve('@ivl/convert'));
  const key = createHash('sha256')
    .update(converter)
    .update(`${preset}:${seed}:${dtype}:${layout}:${inPlaceAttentionMinBytes ?? 'default'}`)
    .digest('hex')
    .slice(0, 16);
  const base = join(tmpdir(), `ivl-test-model-${preset}-${key}`);
  const checkpoint = `${base}-hf`;
  const model = `${base}-ivl`;
  if (existsSync(join(model, 'ivl.json')) && existsSync(join(checkpoint, 'config.json')))
    return { checkpoint, model };
  const unique = `${base}-${process.pid}-${Date.now()}`;
  await writeSyntheticCheckpoint(`${unique}-hf`, preset, {
    seed,
    tokenizer: presetTokenizer(preset),
    layout,
  });
  await convertCheckpoint(`${unique}-hf`, `${unique}-ivl`, { dtype, inPlaceAttentionMinBytes });
  // Another test process may have won the race; either copy is the same model.
  for (const [from, to] of [
    [`${unique}-hf`, checkpoint],
    [`${unique}-ivl`, model],
  ]) {
    try {
      renameSync(from, to);
    } catch {
      rmSync(from, { recursive: true, force: true });
    }
  }
  return { checkpoint, model };
}

/**
 * The backend source of one part of a converted model, every file as `ivl.json` lists it (paths
 * on disk): what a store gives `backend.createSession`.
 * @param {string} model
 * @param {'vision_encoder' | 'projector' | 'embed_tokens' | 'decoder_model_merged'} part
 */
export function partSourceOf(model, part, dtype = 'fp32') {
  const manifest = JSON.parse(readFileSync(join(model, 'ivl.json'), 'utf8'));
  return partSource(manifest.files[part][dtype], (file) => join(model, file.path));
}

/**
 * The benchmarks' model: a real shape (InternVL2.5-1B by default, or InternVL3.5-1B) with seeded
 * synthetic weights (one checkpoint), converted to `dtype` once and kept in the temp directory
 * under a key of the converter's build. Conversions under older keys are removed (each is gigabytes).
 * @param {import('@ivl/core').ModelDtype} dtype
 * @param {{ log?: (line: string) => void, preset?: 'internvl2_5-1b' | 'internvl3_5-1b' }} [options]
 * @returns {Promise<{ checkpoint: string, model: string }>}
 */
export async function benchModel(dtype, { log = console.log, preset = 'internvl2_5-1b' } = {}) {
  const checkpoint = join(tmpdir(), `ivl-bench-${preset}-hf`);
  if (!existsSync(join(checkpoint, 'config.json'))) {
    log(`making the synthetic ${preset} checkpoint (once)…`);
    await writeSyntheticCheckpoint(`${checkpoint}.partial`, preset, {
      seed: 1,
      tokenizer: presetTokenizer(preset),
    });
    renameSync(`${checkpoint}.partial`, checkpoint);
  }
  const key = createHash('sha256')
    .update(readFileSync(require.resolve('@ivl/convert')))
    .digest('hex')
    .slice(0, 12);
  const prefix = `ivl-bench-${preset}-${dtype}-`;
  const model = join(tmpdir(), `${prefix}${key}-ivl`);
  for (const name of readdirSync(tmpdir())) {
    if (name.startsWith(prefix) && name.endsWith('-ivl') && name !== `${prefix}${key}-ivl`) {
      rmSync(join(tmpdir(), name), { recursive: true, force: true });
    }
  }
  if (!existsSync(join(model, 'ivl.json'))) {
    log(`converting the checkpoint to ${dtype} (once for this converter build)…`);
    const started = performance.now();
    await convertCheckpoint(checkpoint, model, { overwrite: true, dtype });
    log(`converted in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  }
  return { checkpoint, model };
}
