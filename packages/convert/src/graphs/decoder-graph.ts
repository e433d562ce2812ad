import { CheckpointError } from '@ivl/core';
import type { ModelSpec } from '../checkpoint/internvl-config.js';
import { type LlmLayerNames, llmTensorNames } from '../checkpoint/tensor-names.js';
import { concatFloat32 } from '../onnx/concat-float32.js';
import type { GraphBuilder } from '../onnx/graph-builder.js';
import { rmsNorm, skipRmsNorm } from './layers.js';
import { splitWqkv } from './split-wqkv.js';

type Read = (name: string) => Promise<Float32Array>;

async function qkvWeights(spec: ModelSpec, read: Read, names: LlmLayerNames) {
  const { heads, kvHeads, headDim, hidden, attentionBias } = spec.llm;
  const attention = names.attention;
  if (attention.kind === 'split') {
    const part = async (name: string) => ({
      weight: await read(`${name}.weight`),
      bias: attentionBias ? await read(`${name}.bias`) : undefined,
    });
    const [q, k, v] = [await part(attention.q), await part(attention.k), await part(attention.v)];
    return {
      q: q.weight,
      k: k.weight,
      v: v.weight,
      bias: attentionBias ? { q: q.bias!, k: k.bias!, v: v.bias! } : undefined,
    };
  }
  const shape = { heads, kvHeads, headDim, inFeatures: hidden };
  const weights = splitWqkv(await read(`${attention.wqkv}.weight`), shape);
  const bias = attentionBias
    ? splitWqkv(await read(`${attention.wqkv}.bias`), { ...shape, inFeatures: 1 })
    : undefined;
  return { ...weights, bias };
}

/**
 * The merged decoder (transformers.js / onnx-community naming):
 * inputs `inputs_embeds` [B,T,D], `attention_mask` [B,M], `position_ids` [B,T],
 * `past_key_values.{i}.key|value` [B,KV,P,Dh], `num_logits_to_keep` (scalar ≥ 1);
 * outputs `logits` [B,keep,V] for the last `keep` positions, `present.{i}.key|value`
 * [B,KV,max(P, M),Dh] (exact-length caches), and `new_key_values.{i}.key|value` [B,T,KV·Dh]:
 * the new tokens' rotated keys and values, for callers that keep the cache themselves.
 * Pre-norm Qwen2/Qwen3/InternLM2/InternLM3 blocks with rotate-half RoPE, GQA, SwiGLU (internvl-spec §7.2),
 * Qwen3's per-head q/k RMSNorm, the head size from the config (Qwen3's 128 is not hidden / heads).
 *
 * The past may be longer than the cache (`decoderPast: 'capacity'` in ivl.json): a buffer with
 * spare rows, of which the first M − T per head are valid (M = attention_mask's sum, one
 * unpadded batch-1 sequence, as the runtime calls it). A caller keeping such a buffer fetches
 * only `logits` and `new_key_values.*` and writes the new rows in itself.
 *
 * Built for few nodes per token, since a decode step's matmuls are small and each node costs a
 * dispatch: q, k and v as one projection (their rows stacked; block quantization is per row, so
 * the codes are those of three separate ones), onnxruntime's `GroupQueryAttention` (the causal
 * attention over past + new keys and the present KV in one kernel), `RotaryEmbedding`, the
 * residual add fused into the next RMSNorm (`SkipSimplifiedLayerNormalization`), gate and up as
 * one projection. A run of one sequence over a buffer with spare rows of at least
 * `inPlaceAttentionMinBytes` attends in place instead (an `If` per layer, see
 * {@link inPlaceDecodeAttention} and {@link inPlacePrefillAttention}): there the presents are the
 * new rows only.
 */
export async function buildDecoderGraph(
  g: GraphBuilder,
  spec: ModelSpec,
  read: Read,
  options: DecoderGraphOptions = {},
): Promise<void> {
  const { inPlaceAttentionMinBytes = IN_PLACE_ATTENTION_MIN_BYTES, onLayer } = options;
  const {
    hidden: D,
    layers,
    heads: H,
    kvHeads: KV,
    headDim: Dh,
    intermediate: I,
    vocabSize: V,
    ropeTheta,
    rmsEps,
    qkNorm,
  } = spec.llm;
  const tensorNames = llmTensorNames(spec);
  if (Dh % 16 !== 0) {
    throw new CheckpointError({
      path: 'config.json',
      message: `The LLM's head size is ${Dh}; onnxruntime's GroupQueryAttention with rotary embedding needs a multiple of 16 (every released InternVL has 64 or 128).`,
    });
  }
  const embeds = g.input('inputs_embeds', 'float32', ['batch', 'sequence', D]);
  const attentionMask = g.input('attention_mask', 'int64', ['batch', 'total_sequence']);
  const positionIds = g.input('position_ids', 'int64', ['batch', 'sequence']);
  const past = Array.from({ length: layers }, (_, i) => ({
    key: g.input(`past_key_values.${i}.key`, 'float32', ['batch', KV, 'past_sequence', Dh]),
    value: g.input(`past_key_values.${i}.value`, 'float32', ['batch', KV, 'past_sequence', Dh]),
  }));
  const keep = g.input('num_logits_to_keep', 'int64', []);

  // GroupQueryAttention's sequence inputs: seqlens_k = keys per sequence − 1, and the total length.
  const int32 = (x: string) => g.op('Cast', [x], { to: { i: 6 } });
  const keys = g.op('ReduceSum', [attentionMask, g.int64s([1])], { keepdims: { i: 0 } });
  const seqlensK = int32(g.op('Sub', [keys, g.scalar(1, 'int64')]));
  const totalLength = dimOf(g, attentionMask, 1);
  // RoPE tables for positions 0…total−1: angle = position · θ^(-2i/Dh), [total, Dh/2]
  // (RotaryEmbedding rotates the two halves, rotate-half style, with interleaved 0).
  const inverseFrequencies = Array.from({ length: Dh / 2 }, (_, i) => 1 / ropeTheta ** ((2 * i) / Dh));
  const positions = g.op('Unsqueeze', [
    g.op('Cast', [g.op('Range', [g.scalar(0, 'int64'), totalLength, g.scalar(1, 'int64')])], {
      to: { i: 1 },
    }),
    g.int64s([1]),
  ]);
  const angles = g.op('Mul', [positions, g.constant('float32', [1, Dh / 2], inverseFrequencies, 'inv_freq')]);
  const cos = g.op('Cos', [angles]);
  const sin = g.op('Sin', [angles]);
  const totalInt32 = int32(totalLength);
  // The cache's float32 bytes a row (every layer's key and value).
  const rowBytes = layers * 2 * KV * Dh * 4;
  const inPlaceInputs = inPlaceAttentionInputs(
    g,
    embeds,
    past[0]!.key,
    keys,
    Math.ceil(inPlaceAttentionMinBytes / rowBytes),
  );

  let residual = embeds;
  let x = await rmsNorm(g, read, residual, tensorNames.layer(0).inputNorm, D, rmsEps);
  for (let layer = 0; layer < layers; layer++) {
    const n = tensorNames.layer(layer);
    const qkv = await qkvWeights(spec, read, n);
    const prefix = `model.layers.${layer}.self_attn`;
    const projected = g.linear(
      x,
      `${prefix}.qkv_proj.weight`,
      concatFloat32([qkv.q, qkv.k, qkv.v]),
      (H + 2 * KV) * Dh,
      D,
    );
    const packed = qkv.bias
      ? g.op('Add', [
          projected,
          g.weight(`${prefix}.qkv_proj.bias`, concatFloat32([qkv.bias.q, qkv.bias.k, qkv.bias.v]), [
            (H + 2 * KV) * Dh,
          ]),
        ])
      : projected;
    // RoPE on q and k here rather than inside the attention op, so the rotated new keys can also
    // be an output: a caller that keeps its own cache appends `new_key_values` to it and never
    // fetches the presents (onnxruntime-node copies every fetched output into JS memory).
    const [projectedQ, projectedK, v] = g.node(
      'Split',
      [packed, g.int64s([H * Dh, KV * Dh, KV * Dh])],
      { axis: { i: -1 } },
      // The values are an output as they come (an Identity node per layer cost 0.3 ms a step).
      { outputs: [g.fresh('q'), g.fresh('k'), `new_key_values.${layer}.value`] },
    ) as [string, string, string];
    // Qwen3: RMSNorm of each head's query and key (one weight of Dh values shared by the heads), before RoPE.
    const headNorm = async (value: string, heads: number, name: string) =>
      g.op('Reshape', [
        await rmsNorm(g, read, g.op('Reshape', [value, g.int64s([0, 0, heads, Dh])]), name, Dh, rmsEps),
        g.int64s([0, 0, heads * Dh]),
      ]);
    const q = qkNorm ? await headNorm(projectedQ, H, n.qNorm) : projectedQ;
    const k = qkNorm ? await headNorm(projectedK, KV, n.kNorm) : projectedK;
    const rotary = (value: string, heads: number, output?: string) =>
      g.node(
        'RotaryEmbedding',
        [value, positionIds, cos, sin],
        { interleaved: { i: 0 }, num_heads: { i: heads } },
        {
          domain: 'com.microsoft',
          ...(output && { outputs: [output] }),
        },
      )[0]!;
    const newKey = rotary(k, KV, `new_key_values.${layer}.key`);
    g.declareOutput(newKey, 'float32', ['batch', 'sequence', KV * Dh]);
    g.declareOutput(`new_key_values.${layer}.value`, 'float32', ['batch', 'sequence', KV * Dh]);
    const queries = rotary(q, H);
    const pastKey = past[layer]!.key;
    const pastValue = past[layer]!.value;
    const gqa = g.branch(`gqa_${layer}`, () => {
      const outputs = g.node(
        'GroupQueryAttention',
        [queries, newKey, v, pastKey, pastValue, seqlensK, totalInt32],
        {
          num_heads: { i: H },
          kv_num_heads: { i: KV },
          scale: { f: 1 / Math.sqrt(Dh) },
        },
        { outputs: 3, domain: 'com.microsoft' },
      );
      return outputs.map((name) => [name, 'float32'] as const);
    });
    const io = { queries, newKey, newValue: v, pastKey, pastValue };
    const inPlace = g.branch(`in_place_${layer}`, () => inPlaceDecodeAttention(g, inPlaceInputs, io, spec));
    // A prefill over such a buffer attends in place too, or GroupQueryAttention's presents (as
    // long as the buffer, every layer's alive until the run ends) would double the cache's memory.
    const prefillOrGqa = g.branch(`prefill_or_gqa_${layer}`, () => {
      const prefill = g.branch(`in_place_prefill_${layer}`, () =>
        inPlacePrefillAttention(g, inPlaceInputs, io, spec),
      );
      const outputs = g.node(
        'If',
        [inPlaceInputs.condition],
        { then_branch: { g: prefill }, else_branch: { g: gqa } },
        { outputs: 3 },
      );
      return outputs.map((name) => [name, 'float32'] as const);
    });
    // One If on a decode step (its cost, ~30–100 µs, is paid per layer and step).
    const [attention] = g.node(
      'If',
      [inPlaceInputs.decodeCondition],
      { then_branch: { g: inPlace }, else_branch: { g: prefillOrGqa } },
      {
        outputs: [g.fresh('attention'), `present.${layer}.key`, `present.${layer}.value`],
      },
    ) as [string];
    // The presents' length is the past's in exact mode and 1 when a decode step ran in place (its
    // caller keeps the cache and never reads them), hence a name of its own.
    g.declareOutput(`present.${layer}.key`, 'float32', ['batch', KV, 'present_sequence', Dh]);
    g.declareOutput(`present.${layer}.value`, 'float32', ['batch', KV, 'present_sequence', Dh]);
    const attended = g.linear(attention, n.o, await read(n.o), D, H * Dh);
    let m: string;
    [m, residual] = await skipRmsNorm(g, read, attended, residual, n.postNorm, D, rmsEps);
    const gateUp = g.linear(
      m,
      `model.layers.${layer}.mlp.gate_up_proj.weight`,
      concatFloat32([await read(n.gate), await read(n.up)]),
      2 * I,
      D,
    );
    const [gate, up] = g.node('Split', [gateUp, g.int64s([I, I])], { axis: { i: -1 } }, { outputs: 2 }) as [
      string,
      string,
    ];
    const activated = g.op('Mul', [g.op('Mul', [gate, g.op('Sigmoid', [gate])]), up]);
    const down = g.linear(activated, n.down, await read(n.down), D, I);
    const nextNorm = layer + 1 < layers ? tensorNames.layer(layer + 1).inputNorm : tensorNames.finalNorm;
    [x, residual] = await skipRmsNorm(g, read, down, residual, nextNorm, D, rmsEps);
    onLayer?.(layer + 1);
  }
  const last = g.op('Slice', [
    x,
    g.op('Neg', [g.op('Unsqueeze', [keep, g.int64s([0])])]),
    g.int64s([2 ** 62]),
    g.int64s([1]),
  ]);
  // Tied models (Qwen3-0.6B's InternVL3.5-1B) read the embedding table as the head.
  const head = tensorNames.head;
  // The output head stays at 8 bits in q4 models: logits are read off it directly.
  const logits = g.linear(last, head, await read(head), V, D, { minBits: 8, blockwise: true });
  g.output(logits, 'logits', 'float32', ['batch', 'num_logits', V]);
}

/**
 * The cache size from which a run of one sequence attends in place. Below it GroupQueryAttention's
 * copy of the buffer costs less than the 2 × layers extra nodes of the in-place branch (an `If`
 * costs ~170 µs on its own on a 2-core CPU): InternVL2.5-1B q4 at a 256-row buffer (6 MB) took
 * 2.9 ms a step in GroupQueryAttention against 8.3 in the branches; InternVL3.5-1B (229 KB a
 * row) broke even near 256 rows (56 MB) and gained from there on (tooling/llm-bench README).
 */
export const IN_PLACE_ATTENTION_MIN_BYTES = 32 * 1024 * 1024;

/** Options of {@link buildDecoderGraph}. */
export interface DecoderGraphOptions {
  /**
   * Prefills and one-token steps of one sequence over a cache buffer of at least this many bytes
   * (all layers' float32 keys and values, spare rows included) attend in place.
   * @default {@link IN_PLACE_ATTENTION_MIN_BYTES}
   */
  readonly inPlaceAttentionMinBytes?: number;
  readonly onLayer?: (done: number) => void;
}

/** A value's size along `axis`, as an int64 scalar. */
function dimOf(g: GraphBuilder, value: string, axis: number): string {
  return g.op('Gather', [g.op('Shape', [value]), g.scalar(axis, 'int64')]);
}

/** Values shared by the layers' in-place attention. */
interface InPlaceInputs {
  /** One sequence and a past buffer with spare rows (`decoderPast: 'capacity'`) of at least the minimum rows. */
  readonly condition: string;
  /** That, with one new token: a decode step. */
  readonly decodeCondition: string;
  /** New tokens T and valid past rows, int64 scalars. */
  readonly tokens: string;
  readonly validPast: string;
  /** `[P]`: 0 for the valid past rows, −1e30 for the spare ones. */
  readonly pastMask: string;
  /** `[P, 1]`: how the scores over past and new keys split. */
  readonly splitSizes: string;
}

// Only for one sequence (batch 1, as the runtime runs): a padded batch's rows differ in length.
function inPlaceAttentionInputs(
  g: GraphBuilder,
  embeds: string,
  pastKey: string,
  keys: string,
  minRows: number,
): InPlaceInputs {
  const dim = (value: string, axis: number) => dimOf(g, value, axis);
  const one = g.scalar(1, 'int64');
  const tokens = dim(embeds, 1);
  const pastRows = dim(pastKey, 2);
  // `keys` is [B]; its largest entry makes a scalar, which only batch 1 uses.
  const validPast = g.op('Sub', [g.op('ReduceMax', [keys], { keepdims: { i: 0 } }), tokens]);
  const condition = g.op('And', [
    g.op('Equal', [dim(embeds, 0), one]),
    g.op('And', [
      g.op('Greater', [pastRows, validPast]),
      g.op('GreaterOrEqual', [pastRows, g.scalar(minRows, 'int64')]),
    ]),
  ]);
  const decodeCondition = g.op('And', [condition, g.op('Equal', [tokens, one])]);
  const rows = g.op('Range', [g.scalar(0, 'int64'), pastRows, g.scalar(1, 'int64')]);
  const pastMask = g.op('Where', [g.op('Less', [rows, validPast]), g.scalar(0), g.scalar(-1e30)]);
  const splitSizes = g.op('Concat', [g.op('Unsqueeze', [pastRows, g.int64s([0])]), g.int64s([1])], {
    axis: { i: 0 },
  });
  return { condition, decodeCondition, tokens, validPast, pastMask, splitSizes };
}

/** A layer's attention inputs, as both in-place branches read them. */
interface AttentionIo {
  readonly queries: string;
  readonly newKey: string;
  readonly newValue: string;
  readonly pastKey: string;
  readonly pastValue: string;
}

/** An in-place branch's outputs: the attention `[B, T, H·Dh]`, then the new rows as presents. */
type BranchOutputs = (readonly [string, 'float32'])[];

/** Head counts, query heads per KV head and the softmax scale of the LLM's attention. */
function attentionShape(spec: ModelSpec) {
  const { heads: H, kvHeads: KV, headDim: Dh } = spec.llm;
  return { H, KV, Dh, G: H / KV, scale: { f: 1 / Math.sqrt(Dh) } };
}

/**
 * One decode step's attention reading the cache where it lies: GroupQueryAttention, given a past
 * that is not also its present, zeroes a present of the buffer's length and copies the past into
 * it on every step (with Qwen3's 8 × 128 KV heads, 125 of a 183 ms step after 1,829 tokens), while
 * this reads each past row once. Scores over the past rows (spare ones masked) and the new key,
 * one softmax, then the weighted sums; query head h reads KV head h / (H / KV). The presents it
 * returns are the new rows only: its caller keeps the cache.
 */
function inPlaceDecodeAttention(
  g: GraphBuilder,
  shared: InPlaceInputs,
  io: AttentionIo,
  spec: ModelSpec,
): BranchOutputs {
  const { H, KV, Dh, G, scale } = attentionShape(spec);
  const q = g.op('Reshape', [io.queries, g.int64s([0, KV, G, Dh])]);
  const k = g.op('Reshape', [io.newKey, g.int64s([0, KV, 1, Dh])]);
  const v = g.op('Reshape', [io.newValue, g.int64s([0, KV, 1, Dh])]);
  const pastScores = g.op('Add', [
    g.op('FusedMatMul', [q, io.pastKey], { transB: { i: 1 }, alpha: scale }, 'com.microsoft'),
    shared.pastMask,
  ]);
  const newScores = g.op('FusedMatMul', [q, k], { transB: { i: 1 }, alpha: scale }, 'com.microsoft');
  const probabilities = g.op('Softmax', [g.op('Concat', [pastScores, newScores], { axis: { i: -1 } })], {
    axis: { i: -1 },
  });
  const [pastWeights, newWeights] = g.node(
    'Split',
    [probabilities, shared.splitSizes],
    { axis: { i: -1 } },
    {
      outputs: 2,
    },
  ) as [string, string];
  const attended = g.op('Add', [g.op('MatMul', [pastWeights, io.pastValue]), g.op('Mul', [newWeights, v])]);
  const attention = g.op('Reshape', [attended, g.int64s([0, 1, H * Dh])]);
  return [
    [attention, 'float32'],
    [k, 'float32'],
    [v, 'float32'],
  ];
}

/**
 * A prefill's attention (T new tokens of one sequence) over a past buffer with spare rows: the
 * valid past rows sliced out of the buffer and the new keys and values appended (a copy of the
 * valid rows, not of the buffer), then per KV head one matmul of its G·T queries (g-major), the
 * causal mask over the new keys, one softmax, one matmul with the values. Scoring the whole
 * buffer instead (masked, as a decode step does) made a 1,829-token prefill 17 % slower than
 * GroupQueryAttention: a prompt's chunks see the buffer reserved for all of it. Presents are the
 * new rows only.
 */
function inPlacePrefillAttention(
  g: GraphBuilder,
  shared: InPlaceInputs,
  io: AttentionIo,
  spec: ModelSpec,
): BranchOutputs {
  const { H, KV, Dh, G, scale } = attentionShape(spec);
  const byHead = (value: string, heads: number[]) => g.op('Reshape', [value, g.int64s([0, 0, ...heads, Dh])]);
  // [1, T, KV, G, Dh] → [1, KV, G, T, Dh] → [1, KV, G·T, Dh]
  const q = g.op('Reshape', [
    g.op('Transpose', [byHead(io.queries, [KV, G])], { perm: { ints: [0, 2, 3, 1, 4] } }),
    g.int64s([0, 0, -1, Dh]),
  ]);
  // [1, T, KV, Dh] → [1, KV, T, Dh]
  const k = g.op('Transpose', [byHead(io.newKey, [KV])], { perm: { ints: [0, 2, 1, 3] } });
  const v = g.op('Transpose', [byHead(io.newValue, [KV])], { perm: { ints: [0, 2, 1, 3] } });
  const valid = g.op('Unsqueeze', [shared.validPast, g.int64s([0])]);
  const withPast = (past: string, rows: string) =>
    g.op('Concat', [g.op('Slice', [past, g.int64s([0]), valid, g.int64s([2])]), rows], { axis: { i: 2 } });
  // Query row g·T + t sees every past row and new key t' ≤ t: [T, T] tiled G times down, padded
  // with zeros on the left for the past.
  const steps = g.op('Range', [g.scalar(0, 'int64'), shared.tokens, g.scalar(1, 'int64')]);
  const future = g.op('Greater', [
    g.op('Unsqueeze', [steps, g.int64s([0])]),
    g.op('Unsqueeze', [steps, g.int64s([1])]),
  ]);
  const causal = g.op('Tile', [g.op('Where', [future, g.scalar(-1e30), g.scalar(0)]), g.int64s([G, 1])]);
  const zero = g.int64s([0]);
  const mask = g.op('Pad', [causal, g.op('Concat', [zero, valid, zero, zero], { axis: { i: 0 } })]);
  const scores = g.op('Add', [
    g.op('FusedMatMul', [q, withPast(io.pastKey, k)], { transB: { i: 1 }, alpha: scale }, 'com.microsoft'),
    mask,
  ]);
  const attended = g.op('MatMul', [
    g.op('Softmax', [scores], { axis: { i: -1 } }),
    withPast(io.pastValue, v),
  ]);
  // [1, KV, G·T, Dh] → [1, KV, G, T, Dh] → [1, T, KV, G, Dh] → [1, T, H·Dh]
  const attention = g.op('Reshape', [
    g.op('Transpose', [g.op('Reshape', [attended, g.int64s([0, KV, G, -1, Dh])])], {
      perm: { ints: [0, 3, 1, 2, 4] },
    }),
    g.int64s([0, 0, H * Dh]),
  ]);
  return [
    [attention, 'float32'],
    [k, 'float32'],
    [v, 'float32'],
  ];
}
