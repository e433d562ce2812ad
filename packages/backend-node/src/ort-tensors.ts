import {
  createTensor,
  InvalidArgumentError,
  type Tensor,
  type TensorDataType,
  type TensorMap,
} from '@ivl/core';
import type * as ort from 'onnxruntime-node';

type OrtModule = typeof ort;

/** @internal core Tensor → ort.Tensor (no copy). */
export function toOrtFeeds(module: OrtModule, feeds: TensorMap): Record<string, ort.Tensor> {
  const out: Record<string, ort.Tensor> = {};
  for (const [name, value] of Object.entries(feeds)) {
    if ('kind' in value) {
      throw new InvalidArgumentError({
        argument: name,
        message: `Input "${name}" is a device tensor; onnxruntime-node sessions take host tensors only (deviceResidentOutputs is false).`,
      });
    }
    out[name] = new module.Tensor(value.dtype, value.data as never, value.dims as number[]);
  }
  return out;
}

const KNOWN: ReadonlySet<string> = new Set<TensorDataType>([
  'float32',
  'float16',
  'int64',
  'int32',
  'uint8',
  'bool',
]);

/** @internal ort.Tensor → core Tensor (no copy). */
export function fromOrtTensor(name: string, tensor: ort.Tensor): Tensor {
  if (!KNOWN.has(tensor.type)) {
    throw new InvalidArgumentError({
      argument: name,
      message: `Output "${name}" has type ${tensor.type}, which ivl does not handle.`,
    });
  }
  const data =
    tensor.type === 'float16' && !(tensor.data instanceof Uint16Array)
      ? new Uint16Array((tensor.data as unknown as { buffer: ArrayBuffer }).buffer)
      : tensor.data;
  return createTensor(tensor.type as TensorDataType, tensor.dims, data as never);
}
