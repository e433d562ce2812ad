import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { ShapeMismatchError } from '../errors/shape-mismatch-error.js';

/** Element types a {@link Tensor} can hold. `float16` data is stored as raw IEEE half bits in a `Uint16Array`. */
export type TensorDataType = 'float32' | 'float16' | 'int64' | 'int32' | 'uint8' | 'bool';

/** The typed array that backs each {@link TensorDataType}. */
export interface TensorDataMap {
  float32: Float32Array;
  float16: Uint16Array;
  int64: BigInt64Array;
  int32: Int32Array;
  uint8: Uint8Array;
  bool: Uint8Array;
}

/**
 * A dense, row-major tensor in host memory. This is the only tensor type stage
 * packages see; backends convert to and from their own types at the boundary.
 */
export interface Tensor<T extends TensorDataType = TensorDataType> {
  readonly dtype: T;
  readonly dims: readonly number[];
  readonly data: TensorDataMap[T];
}

const constructors: { [K in TensorDataType]: new (length: number) => TensorDataMap[K] } = {
  float32: Float32Array,
  float16: Uint16Array,
  int64: BigInt64Array,
  int32: Int32Array,
  uint8: Uint8Array,
  bool: Uint8Array,
};

/** Whether `type` (say, an onnxruntime tensor's) is one of the element types ivl's tensors carry. */
export function isTensorDataType(type: string): type is TensorDataType {
  return Object.hasOwn(constructors, type);
}

/**
 * Number of elements of a tensor of shape `dims`.
 * @throws {InvalidArgumentError} when a dimension is not a non-negative integer.
 */
export function tensorSize(dims: readonly number[]): number {
  let size = 1;
  for (const dim of dims) {
    if (!Number.isInteger(dim) || dim < 0) {
      throw new InvalidArgumentError({
        argument: 'dims',
        message: `Tensor dimensions must be non-negative integers, got [${dims.join(', ')}].`,
      });
    }
    size *= dim;
  }
  return size;
}

/**
 * Creates a tensor, allocating zeroed data when `data` is omitted.
 *
 * @example
 * ```ts
 * const ids = createTensor('int64', [1, 3], BigInt64Array.from([1n, 2n, 3n]));
 * ```
 * @throws {ShapeMismatchError} when `data.length` differs from the product of `dims`.
 */
export function createTensor<T extends TensorDataType>(
  dtype: T,
  dims: readonly number[],
  data?: TensorDataMap[T],
): Tensor<T> {
  const size = tensorSize(dims);
  const values = data ?? new constructors[dtype](size);
  if (values.length !== size) {
    throw new ShapeMismatchError({
      message: `Tensor data has ${values.length} elements but dims [${dims.join(', ')}] need ${size}.`,
      expectedDims: dims,
      actualDims: [values.length],
    });
  }
  return { dtype, dims: [...dims], data: values };
}
