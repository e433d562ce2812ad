// ONNX element types (TensorProto.DataType) of the dtypes ivl handles.
const ELEMENT_TYPES = { float32: 1, uint8: 2, int32: 6, int64: 7, bool: 9, float16: 10 } as const;

/** The dtypes the models of this file are built for. */
export type ModelDtype = keyof typeof ELEMENT_TYPES;

// Protocol buffers' wire format, as far as a model of one node needs it.
function varint(value: number): number[] {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  return bytes;
}
const field = (number: number, payload: number[] | string): number[] => {
  const bytes = typeof payload === 'string' ? [...new TextEncoder().encode(payload)] : payload;
  return [...varint((number << 3) | 2), ...varint(bytes.length), ...bytes];
};
const integer = (number: number, value: number): number[] => [...varint(number << 3), ...varint(value)];

/** `y = op(x)` (opset 17), x and y tensors of any shape; `attributes` are integer ones. */
function oneNodeModel(
  op: string,
  input: ModelDtype,
  output: ModelDtype,
  attributes: Readonly<Record<string, number>> = {},
): Uint8Array {
  // ValueInfoProto { name = 1, type = 2: TypeProto { tensor_type = 1: { elem_type = 1 } } }, no shape.
  const value = (name: string, dtype: ModelDtype) => [
    ...field(1, name),
    ...field(2, field(1, integer(1, ELEMENT_TYPES[dtype]))),
  ];
  // AttributeProto { name = 1, i = 3, type = 20 (INT = 2) }
  const attribute = ([name, i]: [string, number]) =>
    field(5, [...field(1, name), ...integer(3, i), ...integer(20, 2)]);
  // NodeProto { input = 1, output = 2, op_type = 4, attribute = 5 }
  const node = [
    ...field(1, 'x'),
    ...field(2, 'y'),
    ...field(4, op),
    ...Object.entries(attributes).flatMap(attribute),
  ];
  // GraphProto { node = 1, name = 2, input = 11, output = 12 }
  const graph = [
    ...field(1, node),
    ...field(2, op),
    ...field(11, value('x', input)),
    ...field(12, value('y', output)),
  ];
  // ModelProto { ir_version = 1, graph = 7, opset_import = 8: { domain = 1, version = 2 } }
  return Uint8Array.from([
    ...integer(1, 8),
    ...field(7, graph),
    ...field(8, [...field(1, ''), ...integer(2, 17)]),
  ]);
}

/**
 * The bytes of an ONNX model `y = Identity(x)` over a tensor of `dtype`. onnxruntime-node cannot
 * read a device tensor back itself (`getData()` of a `gpu-buffer` output is not implemented there),
 * but a session on the same device whose output stays in host memory copies it back: running this
 * model is how the backend downloads one.
 * @internal
 */
export function identityModelBytes(dtype: ModelDtype): Uint8Array {
  return oneNodeModel('Identity', dtype, dtype);
}

/**
 * The bytes of `y = Cast(x: float16) → float32`: a WebGPU adapter without the shader-f16 feature
 * cannot run it, which is how the backend learns whether float16 works on its device.
 * @internal
 */
export function castHalfModelBytes(): Uint8Array {
  return oneNodeModel('Cast', 'float16', 'float32', { to: ELEMENT_TYPES.float32 });
}
