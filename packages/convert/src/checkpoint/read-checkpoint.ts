import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CheckpointError } from '@ivl/core';
import { concatFloat32 } from '../onnx/concat-float32.js';
import {
  openSafetensors,
  readTensorAsFloat32,
  type SafetensorsEntry,
} from '../safetensors/safetensors-file.js';
import { type ModelSpec, parseInternVLConfig } from './internvl-config.js';
import { readJsonObject } from './read-json-object.js';
import { expectedTensors, HF_PREFIXES, hfTensorSources } from './tensor-names.js';

/** An opened Hugging Face InternVL checkpoint: its config and lazily readable tensors. */
export interface Checkpoint {
  readonly directory: string;
  readonly config: Record<string, unknown>;
  readonly spec: ModelSpec;
  /** Bytes of all tensors as stored. */
  readonly storedBytes: number;
  /**
   * Reads a tensor as float32 by its original-layout name (from whichever shard holds it; for `-hf`
   * checkpoints from the tensors it was split into).
   */
  read(name: string): Promise<Float32Array>;
}

const readJson = (path: string) =>
  readJsonObject(
    path,
    `Missing ${path}: a Hugging Face checkpoint directory has a config.json and safetensors weights.`,
  );

/**
 * Opens a checkpoint directory: `config.json`, and `model.safetensors` or the shards listed in
 * `model.safetensors.index.json`. Checks that exactly the expected tensors are present with the
 * expected shapes before anything is converted.
 *
 * @throws {CheckpointError} naming the file and tensor for missing, extra or misshapen tensors,
 *   unknown architectures and malformed safetensors
 */
export async function openCheckpoint(directory: string): Promise<Checkpoint> {
  const configPath = join(directory, 'config.json');
  const config = await readJson(configPath);
  const spec = parseInternVLConfig(config, configPath);

  const indexPath = join(directory, 'model.safetensors.index.json');
  let files: string[];
  try {
    const index = JSON.parse(await readFile(indexPath, 'utf8')) as { weight_map?: Record<string, string> };
    files = [...new Set(Object.values(index.weight_map ?? {}))];
  } catch {
    files = ['model.safetensors'];
  }
  for (const file of files) {
    if (
      typeof file !== 'string' ||
      file.includes('/') ||
      file.includes('\\') ||
      file === '..' ||
      file === ''
    ) {
      throw new CheckpointError({
        path: indexPath,
        message: `${indexPath} names a shard ${JSON.stringify(file)}; shards are files beside it (a plain file name).`,
      });
    }
  }
  const entries = new Map<string, SafetensorsEntry>();
  for (const file of files) {
    const opened = await openSafetensors(join(directory, file));
    for (const [name, entry] of opened.entries) {
      if (entries.has(name))
        throw new CheckpointError({
          path: entry.path,
          tensor: name,
          message: `${entry.path}: tensor ${name} appears in two shards.`,
        });
      entries.set(name, entry);
    }
  }

  // Each tensor the graphs read, and the stored tensors it comes from (one, or the q/k/v of `-hf`).
  const expected = expectedTensors(spec);
  const sources =
    spec.layout === 'hf'
      ? hfTensorSources(
          spec,
          [...entries.keys()].some((name) => name.startsWith(HF_PREFIXES.nested.vision))
            ? HF_PREFIXES.nested
            : HF_PREFIXES.flat,
        )
      : new Map([...expected.keys()].map((name) => [name, [name]]));
  const stored = new Map<string, number[]>();
  for (const [name, shape] of expected) {
    const parts = sources.get(name)!;
    // Concatenated along the first axis, so each part has 1/n of its rows.
    for (const part of parts) stored.set(part, [shape[0]! / parts.length, ...shape.slice(1)]);
  }
  const weightsPath = files.length === 1 ? join(directory, files[0]!) : indexPath;
  for (const [name, shape] of stored) {
    const entry = entries.get(name);
    if (!entry) {
      throw new CheckpointError({
        path: weightsPath,
        tensor: name,
        message: `${weightsPath}: missing tensor ${name} [${shape.join(', ')}] required by config.json.`,
      });
    }
    if (entry.shape.join(',') !== shape.join(',')) {
      throw new CheckpointError({
        path: entry.path,
        tensor: name,
        message: `${entry.path}: tensor ${name} has shape [${entry.shape.join(', ')}] but config.json implies [${shape.join(', ')}].`,
      });
    }
  }
  const flash = [...entries.keys()].find((name) => /^(model\.)?mlp2\./.test(name));
  if (flash) {
    throw new CheckpointError({
      path: weightsPath,
      tensor: flash,
      message: `${weightsPath}: ${flash} is InternVL3.5-Flash's second projector (64 tokens a tile, chosen per tile by a router); Flash checkpoints are not read yet. Use the non-Flash checkpoint of the same size.`,
    });
  }
  for (const [name, entry] of entries) {
    // Rotary caches some exports keep are derived data, not weights.
    if (!stored.has(name) && !name.endsWith('rotary_emb.inv_freq')) {
      throw new CheckpointError({
        path: entry.path,
        tensor: name,
        message: `${entry.path}: unexpected tensor ${name}; is config.json from the same checkpoint?`,
      });
    }
  }
  const storedBytes = [...entries.values()].reduce((sum, entry) => sum + entry.byteLength, 0);
  return {
    directory,
    config,
    spec,
    storedBytes,
    async read(name) {
      const parts = sources.get(name);
      if (!parts)
        throw new CheckpointError({
          path: weightsPath,
          tensor: name,
          message: `${weightsPath}: no tensor ${name}.`,
        });
      return concatFloat32(await Promise.all(parts.map((part) => readTensorAsFloat32(entries.get(part)!))));
    },
  };
}
