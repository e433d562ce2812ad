import type { ModelSpec } from '../checkpoint/internvl-config.js';
import type { GraphBuilder } from '../onnx/graph-builder.js';
import { rmsNorm } from './layers.js';
import { splitWqkv } from './split-wqkv.js';

type Read = (name: string) => Promise<Float32Array>;

/** Names of the decoder's tensors per family, in one place. */
function names(family: ModelSpec['llm']['family'], layer: number) {
  const p = `language_model.model.layers.${layer}.`;
  return family === 'qwen2'
    ? {
        inputNorm: `${p}input_layernorm.weight`,
        postNorm: `${p}post_attention_layernorm.weight`,
        o: `${p}self_attn.o_proj.weight`,
        gate: `${p}mlp.gate_proj.weight`,
        up: `${p}mlp.up_proj.weight`,
        down: `${p}mlp.down_proj.weight`,
      }
    : {
        inputNorm: `${p}attention_norm.weight`,
        postNorm: `${p}ffn_norm.weight`,
        o: `${p}attention.wo.weight`,
        gate: `${p}feed_forward.w1.weight`,
        up: `${p}feed_forward.w3.weight`,
        down: `${p}feed_forward.w2.weight`,
      };
}

async function qkvWeights(spec: ModelSpec, read: Read, layer: number) {
  const { family, heads, kvHeads, headDim, hidden, attentionBias } = spec.llm;
  const p = `language_model.model.layers.${layer}.`;
  if (family === 'qwen2') {
    return {
      q: await read(`${p}self_attn.q_proj.weight`),
      k: await read(`${p}self_attn.k_proj.weight`),
      v: await read(`${p}self_attn.v_proj.weight`),
      bias: {
        q: await read(`${p}self_attn.q_proj.bias`),
        k: await read(`${p}self_attn.k_proj.bias`),
        v: await read(`${p}self_attn.v_proj.bias`),
      },
    };
  }
  const shape = { heads, kvHeads, headDim, inFeatures: hidden };
  const weights = splitWqkv(await read(`${p}attention.wqkv.weight`), shape);
  const bias = attentionBias
    ? splitWqkv(await read(`${p}attention.wqkv.bias`), { ...shape, inFeatures: 1 })
    : undefined;
  return { ...weights, bias };
}

/**
 * The merged decoder (transformers.js / onnx-community naming):
 * inputs `inputs_embeds` [B,T,D], `attention_mask` [B,P+T], `position_ids` [B,T],
 * `past_key_values.{i}.key|value` [B,KV,P,Dh], `num_logits_to_keep` (scalar ≥ 1);
 * outputs `logits` [B,keep,V] for the last `keep` positions and `present.{i}.key|value` [B,KV,P+T,Dh].
 * Pre-norm Qwen2/InternLM2 blocks with rotate-half RoPE, GQA, SwiGLU (internvl-spec §7.2).
 */
export async function buildDecoderGraph(
  g: GraphBuilder,
  spec: ModelSpec,
  read: Read,
  onLayer?: (done: number) => void,
): Promise<void> {
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
    family,
  } = spec.llm;
  const G = H / KV;
  const embeds = g.input('inputs_embeds', 'float32', ['batch', 'sequence', D]);
  const attentionMask = g.input('attention_mask', 'int64', ['batch', 'total_sequence']);
  const positionIds = g.input('position_ids', 'int64', ['batch', 'sequence']);
  const past = Array.from({ length: layers }, (_, i) => ({
    key: g.input(`past_key_values.${i}.key`, 'float32', ['batch', KV, 'past_sequence', Dh]),
    value: g.input(`past_key_values.${i}.value`, 'float32', ['batch', KV, 'past_sequence', Dh]),
  }));
  const keep = g.input('num_logits_to_keep', 'int64', []);

  // RoPE tables: angle = position · θ^(-2i/Dh), duplicated for the two halves.
  const inverseFrequencies = Array.from({ length: Dh / 2 }, (_, i) => 1 / ropeTheta ** ((2 * i) / Dh));
  const positions = g.op('Unsqueeze', [g.op('Cast', [positionIds], { to: { i: 1 } }), g.int64s([2])]);
  const frequencies = g.op('Mul', [
    positions,
    g.constant('float32', [Dh / 2], inverseFrequencies, 'inv_freq'),
  ]);
  const angles = g.op('Unsqueeze', [
    g.op('Concat', [frequencies, frequencies], { axis: { i: -1 } }),
    g.int64s([1]),
  ]);
  const cos = g.op('Cos', [angles]);
  const sin = g.op('Sin', [angles]);
  const rotate = (x: string) => {
    const [first, second] = g.node(
      'Split',
      [x, g.int64s([Dh / 2, Dh / 2])],
      { axis: { i: -1 } },
      { outputs: 2 },
    ) as [string, string];
    const rotated = g.op('Concat', [g.op('Neg', [second]), first], { axis: { i: -1 } });
    return g.op('Add', [g.op('Mul', [x, cos]), g.op('Mul', [rotated, sin])]);
  };

  // Causal + padding mask [B, 1, G·T, S] (rows in the g-major order of the grouped queries below).
  const total = g.op('Slice', [g.op('Shape', [attentionMask]), g.int64s([1]), g.int64s([2])]);
  const sequence = g.op('Slice', [g.op('Shape', [embeds]), g.int64s([1]), g.int64s([2])]);
  const pastLength = g.op('Sub', [total, sequence]);
  const scalarOf = (x: string) => g.op('Squeeze', [x, g.int64s([0])]);
  const keyPositions = g.op('Range', [g.scalar(0, 'int64'), scalarOf(total), g.scalar(1, 'int64')]);
  const queryPositions = g.op('Range', [scalarOf(pastLength), scalarOf(total), g.scalar(1, 'int64')]);
  const causal = g.op('LessOrEqual', [
    g.op('Unsqueeze', [keyPositions, g.int64s([0])]),
    g.op('Unsqueeze', [queryPositions, g.int64s([1])]),
  ]);
  const padding = g.op('Unsqueeze', [g.op('Cast', [attentionMask], { to: { i: 9 } }), g.int64s([1])]);
  const allowed = g.op('Unsqueeze', [
    g.op('And', [g.op('Unsqueeze', [causal, g.int64s([0])]), padding]),
    g.int64s([1]),
  ]);
  const additive = g.op('Where', [allowed, g.scalar(0), g.scalar(-3.4028234663852886e38)]);
  const mask = g.op('Tile', [additive, g.int64s([1, 1, G, 1])]);
  const scale = g.scalar(1 / Math.sqrt(Dh));

  let h = embeds;
  for (let layer = 0; layer < layers; layer++) {
    const n = names(family, layer);
    const x = await rmsNorm(g, read, h, n.inputNorm, D, rmsEps);
    const qkv = await qkvWeights(spec, read, layer);
    const project = (name: string, weight: Float32Array, bias: Float32Array | undefined, out: number) => {
      const product = g.linear(x, `${name}.weight`, weight, out, D);
      return bias ? g.op('Add', [product, g.weight(`${name}.bias`, bias, [out])]) : product;
    };
    const prefix = `model.layers.${layer}.self_attn`;
    const q = project(`${prefix}.q_proj`, qkv.q, qkv.bias?.q, H * Dh);
    const k = project(`${prefix}.k_proj`, qkv.k, qkv.bias?.k, KV * Dh);
    const v = project(`${prefix}.v_proj`, qkv.v, qkv.bias?.v, KV * Dh);
    const toHeads = (value: string, count: number) =>
      g.op('Transpose', [g.op('Reshape', [value, g.int64s([0, 0, count, Dh])])], {
        perm: { ints: [0, 2, 1, 3] },
      });
    const qRope = rotate(toHeads(q, H));
    const kRope = rotate(toHeads(k, KV));
    const keys = g.op('Concat', [past[layer]!.key, kRope], { axis: { i: 2 } });
    const values = g.op('Concat', [past[layer]!.value, toHeads(v, KV)], { axis: { i: 2 } });
    g.output(keys, `present.${layer}.key`, 'float32', ['batch', KV, 'total_sequence', Dh]);
    g.output(values, `present.${layer}.value`, 'float32', ['batch', KV, 'total_sequence', Dh]);
    // GQA without copying K/V: fold the G query heads of each KV head into the row axis.
    const grouped = g.op('Reshape', [qRope, g.int64s([0, KV, -1, Dh])]);
    const scores = g.op('Add', [
      g.op('MatMul', [
        g.op('Mul', [grouped, scale]),
        g.op('Transpose', [keys], { perm: { ints: [0, 1, 3, 2] } }),
      ]),
      mask,
    ]);
    const context = g.op('MatMul', [g.op('Softmax', [scores], { axis: { i: -1 } }), values]);
    const merged = g.op('Reshape', [
      g.op('Transpose', [g.op('Reshape', [context, g.int64s([0, H, -1, Dh])])], {
        perm: { ints: [0, 2, 1, 3] },
      }),
      g.int64s([0, 0, H * Dh]),
    ]);
    const attention = g.linear(merged, n.o, await read(n.o), D, H * Dh);
    h = g.op('Add', [h, attention]);
    const m = await rmsNorm(g, read, h, n.postNorm, D, rmsEps);
    const gate = g.linear(m, n.gate, await read(n.gate), I, D);
    const up = g.linear(m, n.up, await read(n.up), I, D);
    const activated = g.op('Mul', [g.op('Mul', [gate, g.op('Sigmoid', [gate])]), up]);
    h = g.op('Add', [h, g.linear(activated, n.down, await read(n.down), D, I)]);
    onLayer?.(layer + 1);
  }
  const normed = await rmsNorm(g, read, h, 'language_model.model.norm.weight', D, rmsEps);
  const last = g.op('Slice', [
    normed,
    g.op('Neg', [g.op('Unsqueeze', [keep, g.int64s([0])])]),
    g.int64s([2 ** 62]),
    g.int64s([1]),
  ]);
  const head = family === 'qwen2' ? 'language_model.lm_head.weight' : 'language_model.output.weight';
  // The output head stays at 8 bits in q4 models: logits are read off it directly.
  const logits = g.linear(last, head, await read(head), V, D, { minBits: 8 });
  g.output(logits, 'logits', 'float32', ['batch', 'num_logits', V]);
}
