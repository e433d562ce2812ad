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

/**
 * `x + residual`, then RMSNorm of the sum, in one kernel (ORT's SkipSimplifiedLayerNormalization);
 * returns the normed value and the sum (the next residual).
 */
export async function skipRmsNorm(
  g: GraphBuilder,
  read: Read,
  x: string,
  residual: string,
  name: string,
  width: number,
  eps: number,
): Promise<[normed: string, sum: string]> {
  const weight = g.weight(name, await read(name), [width]);
  const [normed, , , sum] = g.node(
    'SkipSimplifiedLayerNormalization',
    [x, residual, weight],
    { epsilon: { f: eps } },
    { outputs: [g.fresh('normed'), '', '', g.fresh('residual')], domain: 'com.microsoft' },
  ) as [string, string, string, string];
  return [normed, sum];
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
