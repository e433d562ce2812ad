import { readFile } from 'node:fs/promises';
import { CheckpointError } from '@ivl/core';

/**
 * A checkpoint's JSON file (config, tokenizer files) as an object.
 * @throws {CheckpointError} for a missing file, invalid JSON, or JSON that is not an object (`null`, an array)
 */
export async function readJsonObject(path: string, missing: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new CheckpointError({ path, message: missing, cause: error });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CheckpointError({ path, message: `${path} is not valid JSON.`, cause: error });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    throw new CheckpointError({ path, message: `${path} holds ${got}, not a JSON object.` });
  }
  return value as Record<string, unknown>;
}
