import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertCheckpoint, writeSyntheticCheckpoint } from '@ivl/convert';
import { partSource } from '@ivl/core';
import { internlm2Tokenizer, internvlQwen2Tokenizer } from '@ivl/synthetic-tokenizers';

export { internlm2Tokenizer };

const require = createRequire(import.meta.url);

/**
 * A tiny converted model, cached across test files and runs. The cache key includes the
 * converter's built code, so a changed converter never serves a stale model.
 * @param {'tiny-qwen2' | 'tiny-internlm2'} preset
 * @returns {Promise<{ checkpoint: string, model: string }>}
 */
export async function tinyModel(preset, { seed = 7, dtype = 'fp32' } = {}) {
  const converter = readFileSync(require.resolve('@ivl/convert'));
  const key = createHash('sha256')
    .update(converter)
    .update(`${preset}:${seed}:${dtype}`)
    .digest('hex')
    .slice(0, 16);
  const base = join(tmpdir(), `ivl-test-model-${preset}-${key}`);
  const checkpoint = `${base}-hf`;
  const model = `${base}-ivl`;
  if (existsSync(join(model, 'ivl.json')) && existsSync(join(checkpoint, 'config.json')))
    return { checkpoint, model };
  const unique = `${base}-${process.pid}-${Date.now()}`;
  const tokenizer = preset === 'tiny-qwen2' ? internvlQwen2Tokenizer() : internlm2Tokenizer();
  await writeSyntheticCheckpoint(`${unique}-hf`, preset, { seed, tokenizer });
  await convertCheckpoint(`${unique}-hf`, `${unique}-ivl`, { dtype });
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
