import type { ModelSpec } from '../checkpoint/internvl-config.js';
import type { GraphBuilder } from '../onnx/graph-builder.js';
import { gelu, layerNorm, linear, rmsNorm } from './layers.js';

type Read = (name: string) => Promise<Float32Array>;

/**
 * InternViT: `pixel_values` [N,3,S,S] → last hidden state without CLS [N, (S/14)², C]
 * (internvl-spec §5.2; the position-embedding interpolation is an identity at 448 and is left out).
 */
export async function buildVisionEncoderGraph(
  g: GraphBuilder,
  spec: ModelSpec,
  read: Read,
  onLayer?: (done: number) => void,
): Promise<void> {
  const {
    hidden: C,
    layers,
    heads,
    intermediate,
    qkvBias,
    qkNorm,
    norm,
    eps,
    patchSize,
    imageSize,
  } = spec.vision;
  const grid = imageSize / patchSize;
  const tokens = grid * grid + 1;
  const D = C / heads;
  const p = 'vision_model.';
  const pixels = g.input('pixel_values', 'float32', ['num_tiles', 3, imageSize, imageSize]);
  const patches = g.op(
    'Conv',
    [
      pixels,
      g.weight(`${p}embeddings.patch_embedding.weight`, await read(`${p}embeddings.patch_embedding.weight`), [
        C,
        3,
        patchSize,
        patchSize,
      ]),
      g.weight(`${p}embeddings.patch_embedding.bias`, await read(`${p}embeddings.patch_embedding.bias`), [C]),
    ],
    { kernel_shape: { ints: [patchSize, patchSize] }, strides: { ints: [patchSize, patchSize] } },
  );
  // [N, C, g, g] -> [N, g·g, C]: token t = y·g + x
  const sequence = g.op('Transpose', [g.op('Reshape', [patches, g.int64s([0, C, grid * grid])])], {
    perm: { ints: [0, 2, 1] },
  });
  const batch = g.op('Slice', [g.op('Shape', [pixels]), g.int64s([0]), g.int64s([1])]);
  const clsShape = g.op('Concat', [batch, g.int64s([1, C])], { axis: { i: 0 } });
  const cls = g.op('Expand', [
    g.weight(`${p}embeddings.class_embedding`, await read(`${p}embeddings.class_embedding`), [1, 1, C]),
    clsShape,
  ]);
  let h = g.op('Concat', [cls, sequence], { axis: { i: 1 } });
  h = g.op('Add', [
    h,
    g.weight(`${p}embeddings.position_embedding`, await read(`${p}embeddings.position_embedding`), [
      1,
      tokens,
      C,
    ]),
  ]);

  const normalize = (x: string, name: string) =>
    norm === 'rms_norm' ? rmsNorm(g, read, x, `${name}.weight`, C, eps) : layerNorm(g, read, x, name, C, eps);
  const scale = g.scalar(D ** -0.5);
  for (let layer = 0; layer < layers; layer++) {
    const l = `${p}encoder.layers.${layer}.`;
    const a = await normalize(h, `${l}norm1`);
    const qkv = await linear(g, read, a, `${l}attn.qkv`, 3 * C, C, qkvBias);
    let [q, k, v] = g.node('Split', [qkv, g.int64s([C, C, C])], { axis: { i: -1 } }, { outputs: 3 }) as [
      string,
      string,
      string,
    ];
    if (qkNorm) {
      q = await rmsNorm(g, read, q, `${l}attn.q_norm.weight`, C, eps);
      k = await rmsNorm(g, read, k, `${l}attn.k_norm.weight`, C, eps);
    }
    const heads4 = g.int64s([0, 0, heads, D]);
    const qh = g.op('Transpose', [g.op('Reshape', [q, heads4])], { perm: { ints: [0, 2, 1, 3] } });
    const kt = g.op('Transpose', [g.op('Reshape', [k, heads4])], { perm: { ints: [0, 2, 3, 1] } });
    const vh = g.op('Transpose', [g.op('Reshape', [v, heads4])], { perm: { ints: [0, 2, 1, 3] } });
    const probabilities = g.op('Softmax', [g.op('MatMul', [g.op('Mul', [qh, scale]), kt])], {
      axis: { i: -1 },
    });
    const context = g.op('Reshape', [
      g.op('Transpose', [g.op('MatMul', [probabilities, vh])], { perm: { ints: [0, 2, 1, 3] } }),
      g.int64s([0, 0, C]),
    ]);
    const attention = await linear(g, read, context, `${l}attn.proj`, C, C, true);
    h = g.op('Add', [h, g.op('Mul', [attention, g.weight(`${l}ls1`, await read(`${l}ls1`), [C])])]);
    const m = await normalize(h, `${l}norm2`);
    const up = gelu(g, await linear(g, read, m, `${l}mlp.fc1`, intermediate, C, true));
    const down = await linear(g, read, up, `${l}mlp.fc2`, C, intermediate, true);
    h = g.op('Add', [h, g.op('Mul', [down, g.weight(`${l}ls2`, await read(`${l}ls2`), [C])])]);
    onLayer?.(layer + 1);
  }
  const withoutCls = g.op('Slice', [h, g.int64s([1]), g.int64s([tokens]), g.int64s([1])]);
  g.output(withoutCls, 'last_hidden_state', 'float32', ['num_tiles', grid * grid, C]);
}
