import { InvalidArgumentError } from '@ivl/core';
import onnxProto from 'onnx-proto';
import { transposeWeight } from '../graphs/transpose-weight.js';
import { quantizeBlockwise } from './quantize-blockwise.js';
import { quantizePerChannel } from './quantize-per-channel.js';
import type { WeightSink } from './weight-sink.js';

const { onnx } = onnxProto;

/** Element types used in our graphs. */
export type ElementType = 'float32' | 'float16' | 'int64' | 'int32' | 'bool' | 'uint8' | 'int8';

/** ONNX `TensorProto.DataType` codes. */
export const ONNX_TYPE: Readonly<Record<ElementType, number>> = {
  float32: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
};

/** A node attribute, tagged with its ONNX kind. */
export type Attribute =
  | { readonly f: number }
  | { readonly i: number }
  | { readonly s: string }
  | { readonly ints: readonly number[] }
  | { readonly floats: readonly number[] }
  | {
      readonly t: {
        readonly type: ElementType;
        readonly dims: readonly number[];
        readonly values: readonly number[];
      };
    }
  /** A subgraph (an `If` branch), from {@link GraphBuilder.branch}. */
  | { readonly g: Branch };

/** A subgraph built by {@link GraphBuilder.branch}. */
export interface Branch {
  readonly name: string;
  readonly node: readonly unknown[];
  readonly output: readonly unknown[];
}

/** A dimension: a fixed size or a symbolic name (`batch`, `sequence`). */
export type Dim = number | string;

function valueInfo(name: string, type: ElementType, dims?: readonly Dim[]) {
  return {
    name,
    type: {
      tensorType: {
        elemType: ONNX_TYPE[type],
        ...(dims && {
          shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
        }),
      },
    },
  };
}

function tensorProto(name: string, type: ElementType, dims: readonly number[], values: readonly number[]) {
  const proto: Record<string, unknown> = { name, dims: [...dims], dataType: ONNX_TYPE[type] };
  if (type === 'float32') proto.floatData = [...values];
  else if (type === 'int64') proto.int64Data = [...values];
  else if (type === 'int32' || type === 'bool' || type === 'uint8') proto.int32Data = [...values];
  else
    throw new InvalidArgumentError({
      argument: 'type',
      message: `Inline ${type} constants are not supported (float32, int64).`,
    });
  return proto;
}

/**
 * A small typed builder for ONNX graphs. Large weights go to a {@link WeightSink} as external data
 * (so no ModelProto nears the 2 GiB protobuf limit); small constants are stored inline.
 */
export class GraphBuilder {
  /** Where `node()` adds to: the main graph's nodes, or those of the branch being built. */
  private nodes: unknown[] = [];
  private readonly initializers: unknown[] = [];
  private readonly inputs: unknown[] = [];
  private readonly outputs: unknown[] = [];
  private counter = 0;

  constructor(
    private readonly name: string,
    private readonly sink: WeightSink,
    /** Storage type of weights; float16 weights are cast to float32 in the graph (fp32 compute). */
    private readonly weightType: 'float32' | 'float16' = 'float32',
    /**
     * Linear layers as ORT `MatMulNBits` with block-wise 4- or 8-bit weights (activations stay
     * fp32), or with `integerGemm` through the integer GEMM (see {@link GraphBuilder.linear}).
     * `blockSize` is also the 8-bit token embedding table's.
     */
    private readonly quantization?: {
      readonly bits: 4 | 8;
      readonly blockSize: number;
      readonly integerGemm?: boolean;
    },
  ) {}

  /**
   * `x @ Wᵀ` for a PyTorch Linear weight `[out, in]`: a MatMul over the transposed weight, or a
   * `MatMulNBits` over block-quantized codes when the builder quantizes, or with `integerGemm` an
   * integer GEMM over 8-bit codes per output channel. `minBits`: at least these bits; `blockwise`:
   * `MatMulNBits` even under `integerGemm` (the output head, which runs on one row a step, where
   * finer scales cost nothing and the integer GEMM has nothing to gain).
   */
  linear(
    x: string,
    name: string,
    weight: Float32Array,
    outFeatures: number,
    inFeatures: number,
    { minBits = 0, blockwise = false } = {},
  ): string {
    if (!this.quantization) {
      return this.op('MatMul', [
        x,
        this.weight(name, transposeWeight(weight, outFeatures, inFeatures), [inFeatures, outFeatures]),
      ]);
    }
    if (this.quantization.integerGemm && !blockwise)
      return this.integerLinear(x, name, weight, outFeatures, inFeatures);
    const blockSize = this.quantization.blockSize;
    const bits = Math.max(this.quantization.bits, minBits) as 4 | 8;
    const q = quantizeBlockwise(weight, outFeatures, inFeatures, bits, blockSize);
    const codes = this.external(
      `${name}.qweight`,
      q.packed,
      [outFeatures, q.kBlocks, (blockSize * bits) / 8],
      'uint8',
    );
    // Scales take the type of A (float32) whatever the builder's weight type.
    const scales = this.external(`${name}.scales`, q.scales, [outFeatures * q.kBlocks], 'float32');
    const zeros = this.external(`${name}.qzeros`, q.zeroPoints, [q.zeroPoints.length], 'uint8');
    return this.op(
      'MatMulNBits',
      [x, codes, scales, zeros],
      {
        K: { i: inFeatures },
        N: { i: outFeatures },
        bits: { i: bits },
        block_size: { i: blockSize },
        accuracy_level: { i: 4 },
      },
      'com.microsoft',
    );
  }

  /**
   * `x @ Wᵀ` as onnxruntime's u8·s8 integer GEMM (`MatMulIntegerToFloat`), which uses VNNI's `vpdpbusd`
   * and AMX tiles where the CPU has them: `MatMulNBits` runs its prefills (M > 1) at about the
   * float32 GEMM's rate. The weight is 8 bits per output channel; the activations are quantized at
   * run time to 8 bits per row, i.e. per token, so a token with large activations costs only its
   * own precision (per tensor, as `DynamicQuantizeMatMul` does, it would cost every token's).
   */
  private integerLinear(
    x: string,
    name: string,
    weight: Float32Array,
    outFeatures: number,
    inFeatures: number,
  ) {
    const q = quantizePerChannel(weight, outFeatures, inFeatures);
    const codes = this.external(`${name}.int8`, q.codes, [inFeatures, outFeatures], 'int8');
    const scales = this.external(`${name}.scales`, q.scales, [outFeatures], 'float32');
    const rowMax = this.op('ReduceMax', [this.op('Abs', [x])], { axes: { ints: [-1] }, keepdims: { i: 1 } });
    // Each row's largest magnitude maps to ±127 (an all-zero row must not divide by zero), held as
    // uint8 about 128: the A operand of the fast u8·s8 kernels. Divided by its row's scale, a
    // tensor of any batch and length takes one QuantizeLinear of scale 1 (round, offset, cast in
    // one pass), with no reshaping for a per-axis scale (the fewer nodes, the shorter a decode step).
    const rowScale = this.op('Mul', [this.op('Max', [rowMax, this.scalar(1e-30)]), this.scalar(1 / 127)]);
    const activations = this.op('QuantizeLinear', [
      this.op('Div', [x, rowScale]),
      this.scalar(1),
      this.scalar(128, 'uint8'),
    ]);
    // The weights' scales are applied in the GEMM's own output pass; the rows' then in one more.
    const product = this.op(
      'MatMulIntegerToFloat',
      [activations, codes, this.scalar(1), scales, this.scalar(128, 'uint8')],
      {},
      'com.microsoft',
    );
    return this.op('Mul', [product, rowScale]);
  }

  /**
   * Rows `ids` of a table `[rows, cols]` (a token embedding lookup): a Gather, or when the builder
   * quantizes a `GatherBlockQuantized` over 8-bit codes in blocks along the row, whatever the
   * builder's bits (an embedding enters the residual stream as it is, like the logits leave the
   * head). A float32 table of a large vocabulary is the biggest file of a quantized model
   * otherwise (InternVL2.5-1B: 544 of 1,135 MB at q4).
   */
  gatherRows(ids: string, name: string, table: Float32Array, rows: number, cols: number): string {
    const blockSize = this.quantization?.blockSize ?? 0;
    // Quantized codes are [rows, kBlocks · blockSize]: padding codes past `cols` would be read as values.
    if (!this.quantization || cols % blockSize !== 0)
      return this.op('Gather', [this.weight(name, table, [rows, cols]), ids], { axis: { i: 0 } });
    const q = quantizeBlockwise(table, rows, cols, 8, blockSize);
    const codes = this.external(`${name}.qweight`, q.packed, [rows, cols], 'uint8');
    const scales = this.external(`${name}.scales`, q.scales, [rows, q.kBlocks], 'float32');
    const zeros = this.external(`${name}.qzeros`, q.zeroPoints, [rows, q.kBlocks], 'uint8');
    return this.op(
      'GatherBlockQuantized',
      [codes, ids, scales, zeros],
      { bits: { i: 8 }, block_size: { i: blockSize }, gather_axis: { i: 0 }, quantize_axis: { i: 1 } },
      'com.microsoft',
    );
  }

  /** A fresh value name with a readable prefix. */
  fresh(prefix: string): string {
    return `${prefix}_${this.counter++}`;
  }

  input(name: string, type: ElementType, dims: readonly Dim[]): string {
    this.inputs.push(valueInfo(name, type, dims));
    return name;
  }

  output(value: string, name: string, type: ElementType, dims: readonly Dim[]): void {
    this.node('Identity', [value], {}, { outputs: [name] });
    this.outputs.push(valueInfo(name, type, dims));
  }

  /**
   * Declares a value a node already wrote under `name` as a graph output: no Identity node, which
   * onnxruntime would run (and copy through) on every call.
   */
  declareOutput(name: string, type: ElementType, dims: readonly Dim[]): void {
    this.outputs.push(valueInfo(name, type, dims));
  }

  /** An inline constant (for shapes, axes and scalars). */
  constant(type: ElementType, dims: readonly number[], values: readonly number[], prefix = 'const'): string {
    const name = this.fresh(prefix);
    this.initializers.push(tensorProto(name, type, dims, values));
    return name;
  }

  int64s(values: readonly number[]): string {
    return this.constant('int64', [values.length], values, 'shape');
  }

  scalar(value: number, type: ElementType = 'float32'): string {
    return this.constant(type, [], [value], 'scalar');
  }

  /** A weight stored as external data; returns a float32 value (cast from float16 when stored so). */
  weight(name: string, data: Float32Array, dims: readonly number[]): string {
    this.external(name, data, dims, this.weightType);
    return this.weightType === 'float32' ? name : this.op('Cast', [name], { to: { i: ONNX_TYPE.float32 } });
  }

  /** Writes an initializer's bytes to the weight sink and records where they are. */
  private external(
    name: string,
    data: Float32Array | Uint8Array | Int8Array,
    dims: readonly number[],
    type: 'float32' | 'float16' | 'uint8' | 'int8',
  ): string {
    const stored = this.sink.append(
      data instanceof Int8Array ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : data,
      type === 'uint8' || type === 'int8' ? 'raw' : type,
    );
    this.initializers.push({
      name,
      dims: [...dims],
      dataType: ONNX_TYPE[type],
      dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
      externalData: [
        { key: 'location', value: stored.location },
        { key: 'offset', value: String(stored.offset) },
        { key: 'length', value: String(stored.length) },
      ],
    });
    return name;
  }

  /** Adds a node; returns its output names. */
  node(
    opType: string,
    inputs: readonly string[],
    attributes: Readonly<Record<string, Attribute>> = {},
    options: { outputs?: number | readonly string[]; domain?: string } = {},
  ): string[] {
    const outputs =
      typeof options.outputs === 'object'
        ? [...options.outputs]
        : Array.from({ length: options.outputs ?? 1 }, () => this.fresh(opType));
    this.nodes.push({
      opType,
      input: [...inputs],
      output: outputs,
      name: this.fresh(`n_${opType}`),
      domain: options.domain ?? '',
      attribute: Object.entries(attributes).map(([name, value]) => toAttribute(name, value)),
    });
    return outputs;
  }

  /** A single-output node. */
  op(
    opType: string,
    inputs: readonly string[],
    attributes: Readonly<Record<string, Attribute>> = {},
    domain = '',
  ): string {
    return this.node(opType, inputs, attributes, { domain })[0]!;
  }

  /**
   * A subgraph for an `If` node: the nodes `build` adds go to it; constants and weights stay in the
   * main graph, which the branch reads as outer-scope values. `build` returns the branch's outputs
   * (each written by a node of the branch) with their element types.
   */
  branch(name: string, build: () => readonly (readonly [string, ElementType])[]): Branch {
    const outer = this.nodes;
    const inner: unknown[] = [];
    this.nodes = inner;
    try {
      const outputs = build();
      return { name, node: inner, output: outputs.map(([value, type]) => valueInfo(value, type)) };
    } finally {
      this.nodes = outer;
    }
  }

  /** The encoded ModelProto (opset 17 plus ORT's com.microsoft domain). */
  build(): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: 'ivl',
      opsetImport: [
        { domain: '', version: 17 },
        { domain: 'com.microsoft', version: 1 },
      ],
      graph: {
        name: this.name,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      } as never,
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

function toAttribute(name: string, value: Attribute) {
  const { AttributeType } = onnx.AttributeProto;
  if ('f' in value) return { name, type: AttributeType.FLOAT, f: value.f };
  if ('i' in value) return { name, type: AttributeType.INT, i: value.i };
  if ('s' in value) return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value.s) };
  if ('ints' in value) return { name, type: AttributeType.INTS, ints: [...value.ints] };
  if ('floats' in value) return { name, type: AttributeType.FLOATS, floats: [...value.floats] };
  if ('g' in value) return { name, type: AttributeType.GRAPH, g: value.g };
  return {
    name,
    type: AttributeType.TENSOR,
    t: tensorProto(name, value.t.type, value.t.dims, value.t.values),
  };
}
