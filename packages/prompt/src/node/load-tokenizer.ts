import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type LlmFamily, ModelLoadError } from '@ivl/core';
import { createTokenizer, type IvlTokenizer } from '../tokenizer.js';

async function readJson(path: string, required: boolean): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (!required) return undefined;
    throw new ModelLoadError({
      path,
      message: `Missing ${path}. An ivl model directory holds a tokenizer.json; convert the checkpoint with \`ivl convert\`.`,
      cause: error,
    });
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new ModelLoadError({
      path,
      message: `${path} is not valid JSON: ${(error as Error).message}.`,
      cause: error,
    });
  }
}

/**
 * Loads `tokenizer.json` (and `tokenizer_config.json` when present) from a model directory.
 * @throws {ModelLoadError} when tokenizer.json is missing or malformed
 */
export async function loadTokenizer(
  directory: string,
  options: { family: LlmFamily },
): Promise<IvlTokenizer> {
  const [json, config] = await Promise.all([
    readJson(join(directory, 'tokenizer.json'), true),
    readJson(join(directory, 'tokenizer_config.json'), false),
  ]);
  return createTokenizer(json, config, options);
}
