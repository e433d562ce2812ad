import type { GraphBuilder } from '../onnx/graph-builder.js';

type Read = (name: string) => Promise<Float32Array>;

/** x @ Wᵀ (+ b) for a PyTorch Linear stored as `<prefix>.weight` [out, in] (and `.bias`). */
export async function linear(
  g: GraphBuilder,
  read: Read,
  x: string,
  prefix: string,
  outFeatures: number,
  inFeatures: number,
  bias: boolean,
): Promise<string> {
  const product = g.linear(x, `${prefix}.weight`, await read(`${prefix}.weight`), outFeatures, inFeatures);
  if (!bias) return product;
  return g.op('Add', [product, g.weight(`${prefix}.bias`, await read(`${prefix}.bias`), [outFeatures])]);
}

/** RMSNorm over the last axis (ORT's SimplifiedLayerNormalization: x · rsqrt(mean(x²) + eps) · w). */
export async function rmsNorm(
  g: GraphBuilder,
  read: Read,
  x: string,
  name: string,
  width: number,
  eps: number,
): Promise<string> {
  const weight = g.weight(name, await read(name), [width]);
  return g.op('SimplifiedLayerNormalization', [x, weight], {
    axis: { i: -1 },
    epsilon: { f: eps },
    stash_type: { i: 1 },
  });
}

/** LayerNorm over the last axis with affine weight and bias. */
export async function layerNorm(
  g: GraphBuilder,
  read: Read,
  x: string,
  prefix: string,
  width: number,
  eps: number,
): Promise<string> {
  const weight = g.weight(`${prefix}.weight`, await read(`${prefix}.weight`), [width]);
  const bias = g.weight(`${prefix}.bias`, await read(`${prefix}.bias`), [width]);
  return g.op('LayerNormalization', [x, weight, bias], { axis: { i: -1 }, epsilon: { f: eps } });
}

/** Exact (erf) GELU: 0.5 · x · (1 + erf(x / √2)); ORT fuses this pattern into one kernel. */
export function gelu(g: GraphBuilder, x: string): string {
  const scaled = g.op('Div', [x, g.scalar(Math.SQRT2)]);
  const onePlus = g.op('Add', [g.op('Erf', [scaled]), g.scalar(1)]);
  return g.op('Mul', [g.op('Mul', [x, onePlus]), g.scalar(0.5)]);
}
