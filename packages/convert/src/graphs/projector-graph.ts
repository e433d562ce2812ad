import type { ModelSpec } from '../checkpoint/internvl-config.js';
import { llmTensorNames } from '../checkpoint/tensor-names.js';
import type { GraphBuilder } from '../onnx/graph-builder.js';
import { gelu, layerNorm, linear } from './layers.js';

type Read = (name: string) => Promise<Float32Array>;

/**
 * Pixel shuffle v2 + mlp1: vision features [N, g², C] → image embeddings [N, g²/4, D]
 * (internvl-spec §6: the same reshape/permute sequence as the official `pixel_shuffle`).
 */
export async function buildProjectorGraph(g: GraphBuilder, spec: ModelSpec, read: Read): Promise<void> {
  const C = spec.vision.hidden;
  const grid = spec.vision.imageSize / spec.vision.patchSize;
  const half = grid / 2;
  const D = spec.llm.hidden;
  const features = g.input('vision_features', 'float32', ['num_tiles', grid * grid, C]);
  let x = g.op('Reshape', [features, g.int64s([0, grid, half, 2 * C])]);
  x = g.op('Transpose', [x], { perm: { ints: [0, 2, 1, 3] } });
  x = g.op('Reshape', [x, g.int64s([0, half, half, 4 * C])]);
  x = g.op('Transpose', [x], { perm: { ints: [0, 2, 1, 3] } });
  x = g.op('Reshape', [x, g.int64s([0, half * half, 4 * C])]);
  x = await layerNorm(g, read, x, 'mlp1.0', 4 * C, 1e-5);
  x = gelu(g, await linear(g, read, x, 'mlp1.1', D, 4 * C, true));
  x = await linear(g, read, x, 'mlp1.3', D, D, true);
  g.output(x, 'image_embeds', 'float32', ['num_tiles', half * half, D]);
}

/** Token embedding lookup: input_ids [B, T] → inputs_embeds [B, T, D]. */
export async function buildEmbedTokensGraph(g: GraphBuilder, spec: ModelSpec, read: Read): Promise<void> {
  const name = llmTensorNames(spec).embed;
  const ids = g.input('input_ids', 'int64', ['batch', 'sequence']);
  const table = g.gatherRows(ids, name, await read(name), spec.llm.vocabSize, spec.llm.hidden);
  g.output(table, 'inputs_embeds', 'float32', ['batch', 'sequence', spec.llm.hidden]);
}
