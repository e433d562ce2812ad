import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  loadCheckpointWeights,
  pixelShuffleReference,
  projectorForward,
  ReferenceDecoder,
  readReferenceConfig,
  visionForward,
} from '@ivl/reference';
import { modelPath, openSession, type Runtime, type Session } from './ort-runner.js';

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

/** Cosine similarity of two vectors. */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return dot / Math.sqrt(na * nb);
}

function argmax(values: ArrayLike<number>, start = 0, length = values.length): number {
  let best = 0;
  for (let i = 1; i < length; i++) if (values[start + i]! > values[start + best]!) best = i;
  return best;
}

export function seededPixels(count: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 4294967296) * 4 - 2; // roughly the range of normalized pixels
  }
  return out;
}

/** Largest differences of the vision encoder and projector outputs from the reference, over `tiles` seeded tiles. */
export async function visionParity(
  runtime: Runtime,
  model: string,
  checkpoint: string,
  { tiles = 2, suffix = '' } = {},
) {
  const reference = loadCheckpointWeights(checkpoint);
  const config = readReferenceConfig(reference.config);
  const C = config.vision.hidden;
  const D = config.llm.hidden;
  const plane = 3 * 448 * 448;
  const pixels = seededPixels(tiles * plane, 3);
  const vision = await openSession(runtime, modelPath(model, 'vision_encoder', suffix));
  const projector = await openSession(runtime, modelPath(model, 'projector', suffix));
  try {
    const { last_hidden_state: features } = await vision.run({
      pixel_values: { type: 'float32', dims: [tiles, 3, 448, 448], data: pixels },
    });
    const { image_embeds: embeds } = await projector.run({
      vision_features: { type: 'float32', dims: [tiles, 1024, C], data: features!.data },
    });
    let visionDiff = 0;
    let projectorDiff = 0;
    let visionCosine = 1;
    let projectorCosine = 1;
    for (let tile = 0; tile < tiles; tile++) {
      const expected = visionForward(
        config,
        reference.weights,
        pixels.subarray(tile * plane, (tile + 1) * plane),
      );
      visionCosine = Math.min(
        visionCosine,
        cosine(features!.data.subarray(tile * 1024 * C, (tile + 1) * 1024 * C), expected),
      );
      visionDiff = Math.max(
        visionDiff,
        maxAbsDiff(features!.data.subarray(tile * 1024 * C, (tile + 1) * 1024 * C), expected),
      );
      const projected = projectorForward(config, reference.weights, pixelShuffleReference(expected, 32, C));
      projectorCosine = Math.min(
        projectorCosine,
        cosine(embeds!.data.subarray(tile * 256 * D, (tile + 1) * 256 * D), projected),
      );
      projectorDiff = Math.max(
        projectorDiff,
        maxAbsDiff(embeds!.data.subarray(tile * 256 * D, (tile + 1) * 256 * D), projected),
      );
    }
    return {
      visionDiff,
      projectorDiff,
      visionCosine,
      projectorCosine,
      featureDims: features!.dims,
      embedDims: embeds!.dims,
    };
  } finally {
    await vision.release();
    await projector.release();
  }
}

type DecoderFeeds = Parameters<Session['run']>[0];
interface KvShape {
  readonly KV: number;
  readonly Dh: number;
}

/**
 * One decoder run's inputs for B equal-length sequences of T new tokens after `pastLength`:
 * embeddings, an all-ones mask, positions, the last logits only, and each layer's past
 * ([key, value] as [B, KV, pastRows, Dh]).
 */
function decoderFeeds(
  embeds: Float32Array,
  B: number,
  T: number,
  D: number,
  pastLength: number,
  past: readonly (readonly [Float32Array, Float32Array])[],
  pastRows: number,
  { KV, Dh }: KvShape,
): DecoderFeeds {
  const feeds: DecoderFeeds = {
    inputs_embeds: { type: 'float32', dims: [B, T, D], data: embeds },
    attention_mask: {
      type: 'int64',
      dims: [B, pastLength + T],
      data: new BigInt64Array(B * (pastLength + T)).fill(1n),
    },
    position_ids: {
      type: 'int64',
      dims: [B, T],
      data: BigInt64Array.from({ length: B * T }, (_, i) => BigInt(pastLength + (i % T))),
    },
    num_logits_to_keep: { type: 'int64', dims: [], data: BigInt64Array.from([1n]) },
  };
  past.forEach(([key, value], layer) => {
    feeds[`past_key_values.${layer}.key`] = { type: 'float32', dims: [B, KV, pastRows, Dh], data: key };
    feeds[`past_key_values.${layer}.value`] = { type: 'float32', dims: [B, KV, pastRows, Dh], data: value };
  });
  return feeds;
}

/**
 * Writes a run's new rows (`new_key_values.*`, [B, T, KV·Dh]) into buffers [B, KV, rows, Dh] after
 * the first `pastLength` rows, as the runtime keeps a `decoderPast: 'capacity'` cache.
 */
function appendNewRows(
  buffers: readonly (readonly [Float32Array, Float32Array])[],
  outputs: Record<string, { data: Float32Array }>,
  B: number,
  T: number,
  rows: number,
  pastLength: number,
  { KV, Dh }: KvShape,
): void {
  buffers.forEach((pair, layer) => {
    (['key', 'value'] as const).forEach((kind, slot) => {
      const added = outputs[`new_key_values.${layer}.${kind}`]!.data;
      for (let b = 0; b < B; b++)
        for (let t = 0; t < T; t++)
          for (let h = 0; h < KV; h++)
            pair[slot]!.set(
              added.subarray(((b * T + t) * KV + h) * Dh, ((b * T + t) * KV + h + 1) * Dh),
              ((b * KV + h) * rows + pastLength + t) * Dh,
            );
    });
  });
}

/**
 * Prefill `prompt`, then `steps` greedy KV-cached steps, on the converted decoder and on the
 * reference; returns the largest logit difference at each step and both token sequences.
 *
 * `spareRows`: keep the cache as the runtime does for `decoderPast: 'capacity'`: buffers with that
 * many rows beyond the cache (zeros), the new rows written in from `new_key_values.*`, the presents
 * only looked at for their length (`presentRows`: 1 where a decode step ran in place).
 */
export async function decoderParity(
  runtime: Runtime,
  model: string,
  checkpoint: string,
  prompt: readonly number[],
  { steps = 16, suffix = '', spareRows = 0 } = {},
) {
  const reference = loadCheckpointWeights(checkpoint);
  const config = readReferenceConfig(reference.config);
  const { hidden: D, layers, kvHeads: KV, vocab: V, headDim: Dh } = config.llm;
  const embed = await openSession(runtime, modelPath(model, 'embed_tokens', suffix));
  const decoder = await openSession(runtime, modelPath(model, 'decoder_model_merged', suffix));
  const referenceDecoder = new ReferenceDecoder(config, reference.weights);
  try {
    const rows = prompt.length + steps + spareRows;
    const buffer = () => new Float32Array(spareRows > 0 ? KV * rows * Dh : 0);
    let past: (readonly [Float32Array, Float32Array])[] = Array.from({ length: layers }, () => [
      buffer(),
      buffer(),
    ]);
    let pastLength = 0;
    let ids = [...prompt];
    const logitDiffs: number[] = [];
    const logitCosines: number[] = [];
    const embedDiffs: number[] = [];
    const embedCosines: number[] = [];
    const generated: number[] = [];
    const expectedTokens: number[] = [];
    const presentRows: number[] = [];
    for (let step = 0; step <= steps; step++) {
      const T = ids.length;
      const { inputs_embeds: embeds } = await embed.run({
        input_ids: { type: 'int64', dims: [1, T], data: BigInt64Array.from(ids.map(BigInt)) },
      });
      const referenceEmbeds = referenceDecoder.embed(ids);
      embedDiffs.push(maxAbsDiff(embeds!.data, referenceEmbeds));
      embedCosines.push(cosine(embeds!.data, referenceEmbeds));
      const pastRows = spareRows > 0 ? rows : pastLength;
      const feeds = decoderFeeds(embeds!.data, 1, T, D, pastLength, past, pastRows, { KV, Dh });
      const outputs = await decoder.run(feeds);
      const logits = outputs.logits!;
      if (logits.dims.join(',') !== `1,1,${V}`) throw new Error(`logits dims ${logits.dims}`);
      const expected = referenceDecoder.forward(
        referenceEmbeds,
        ids.map((_, t) => pastLength + t),
      );
      logitDiffs.push(maxAbsDiff(logits.data, expected.subarray((T - 1) * V)));
      logitCosines.push(cosine(logits.data, expected.subarray((T - 1) * V)));
      presentRows.push(outputs['present.0.key']!.dims[2]!);
      if (spareRows > 0) appendNewRows(past, outputs, 1, T, rows, pastLength, { KV, Dh });
      else
        past = past.map((_, i) => [outputs[`present.${i}.key`]!.data, outputs[`present.${i}.value`]!.data]);
      pastLength += T;
      const next = argmax(logits.data);
      generated.push(next);
      expectedTokens.push(argmax(expected, (T - 1) * V, V));
      ids = [next];
    }
    return { logitDiffs, logitCosines, embedDiffs, embedCosines, generated, expectedTokens, presentRows };
  } finally {
    await embed.release();
    await decoder.release();
  }
}

/**
 * A batch of sequences of equal length through the decoder with the cache in buffers with
 * `spareRows` spare rows: a prefill, then one one-token step; returns each step's logits per
 * sequence ([B][V]), to compare with the sequences run alone.
 */
export async function decoderBatch(
  runtime: Runtime,
  model: string,
  prompts: readonly (readonly number[])[],
  nextTokens: readonly number[],
  spareRows: number,
): Promise<Float32Array[][]> {
  const manifest = JSON.parse(readFileSync(join(model, 'ivl.json'), 'utf8'));
  const { layers, kvHeads: KV, headDim: Dh, llmHidden: D } = manifest.dims;
  const embed = await openSession(runtime, modelPath(model, 'embed_tokens'));
  const decoder = await openSession(runtime, modelPath(model, 'decoder_model_merged'));
  try {
    const B = prompts.length;
    const T0 = prompts[0]!.length;
    const rows = T0 + 1 + spareRows;
    const buffers = Array.from(
      { length: layers },
      () => [new Float32Array(B * KV * rows * Dh), new Float32Array(B * KV * rows * Dh)] as const,
    );
    const steps: Float32Array[][] = [];
    let pastLength = 0;
    for (const ids of [prompts, nextTokens.map((t) => [t])]) {
      const T = ids[0]!.length;
      const { inputs_embeds: embeds } = await embed.run({
        input_ids: { type: 'int64', dims: [B, T], data: BigInt64Array.from(ids.flat().map(BigInt)) },
      });
      const feeds = decoderFeeds(embeds!.data, B, T, D, pastLength, buffers, rows, { KV, Dh });
      const outputs = await decoder.run(feeds);
      const V = outputs.logits!.dims[2]!;
      steps.push(Array.from({ length: B }, (_, b) => outputs.logits!.data.slice(b * V, (b + 1) * V)));
      appendNewRows(buffers, outputs, B, T, rows, pastLength, { KV, Dh });
      pastLength += T;
    }
    return steps;
  } finally {
    await embed.release();
    await decoder.release();
  }
}
