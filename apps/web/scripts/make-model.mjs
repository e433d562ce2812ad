// Makes the tiny demo model the app offers first (random weights, the real layout and tokenizer)
// in apps/web/.cache/models/tiny. Its answers are noise; the pipeline is the real one.
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { convertCheckpoint, writeSyntheticCheckpoint } from '@ivl/convert';
import { internvlQwen2Tokenizer } from '@ivl/synthetic-tokenizers';

const models = join(import.meta.dirname, '..', '.cache', 'models');
if (existsSync(join(models, 'tiny', 'ivl.json'))) {
  console.log(`${join(models, 'tiny')} is there`);
} else {
  const checkpoint = join(models, 'tiny-hf');
  await writeSyntheticCheckpoint(checkpoint, 'tiny-qwen2', { seed: 1, tokenizer: internvlQwen2Tokenizer() });
  await convertCheckpoint(checkpoint, join(models, 'tiny'), { overwrite: true });
  await rm(checkpoint, { recursive: true, force: true });
  console.log(`made ${join(models, 'tiny')}`);
}
