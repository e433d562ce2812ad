import {
  createTensor,
  type DeviceTensor,
  InvalidArgumentError,
  isTensorDataType,
  type Tensor,
  type TensorDataType,
  type TensorMap,
} from '@ivl/core';
import type * as ort from 'onnxruntime-node';

type OrtModule = typeof ort;

/** A device tensor this backend made: its onnxruntime tensor and whether it was disposed. */
interface NodeDeviceHandle {
  readonly tensor: ort.Tensor;
  disposed: boolean;
}

function deviceHandle(value: DeviceTensor): NodeDeviceHandle | undefined {
  const handle = value.handle as Partial<NodeDeviceHandle> | undefined;
  return handle && typeof handle === 'object' && 'tensor' in handle && 'disposed' in handle
    ? (handle as NodeDeviceHandle)
    : undefined;
}

/**
 * @internal core Tensor → ort.Tensor (no copy); a device tensor of this backend passes as the
 * onnxruntime tensor it wraps (a `gpu-buffer` output of an earlier run: it stays on the device).
 */
export function toOrtFeeds(module: OrtModule, feeds: TensorMap): Record<string, ort.Tensor> {
  const out: Record<string, ort.Tensor> = {};
  for (const [name, value] of Object.entries(feeds)) {
    if ('kind' in value) {
      const handle = deviceHandle(value);
      if (!handle) {
        throw new InvalidArgumentError({
          argument: name,
          message: `Input "${name}" is a device tensor of another backend; onnxruntime-node takes host tensors and its own device outputs. Download it first (tensor.download()).`,
        });
      }
      if (handle.disposed) {
        throw new InvalidArgumentError({
          argument: name,
          message: `Input "${name}" is a device tensor that was disposed; keep it (do not call dispose()) while runs still read it.`,
        });
      }
      out[name] = handle.tensor;
      continue;
    }
    out[name] = new module.Tensor(value.dtype, value.data as never, value.dims as number[]);
  }
  return out;
}

/**
 * @internal A `gpu-buffer` output as a core device tensor. `download` copies it to host memory
 * (onnxruntime-node's own `getData()` is not implemented for device tensors).
 */
export function fromOrtDeviceTensor(
  name: string,
  tensor: ort.Tensor,
  download: (tensor: ort.Tensor, dtype: TensorDataType) => Promise<Tensor>,
): DeviceTensor {
  const dtype = knownType(name, tensor);
  const handle: NodeDeviceHandle = { tensor, disposed: false };
  return {
    kind: 'device',
    dtype,
    dims: tensor.dims,
    location: 'gpu-buffer',
    handle,
    async download() {
      if (handle.disposed) {
        throw new InvalidArgumentError({
          argument: name,
          message: `Device tensor "${name}" was disposed; download it before disposing it.`,
        });
      }
      return download(tensor, dtype);
    },
    dispose() {
      if (handle.disposed) return;
      handle.disposed = true;
      tensor.dispose();
    },
  };
}

function knownType(name: string, tensor: ort.Tensor): TensorDataType {
  if (!isTensorDataType(tensor.type)) {
    throw new InvalidArgumentError({
      argument: name,
      message: `Output "${name}" has type ${tensor.type}, which ivl does not handle.`,
    });
  }
  return tensor.type;
}

/** @internal ort.Tensor → core Tensor (no copy). */
export function fromOrtTensor(name: string, tensor: ort.Tensor): Tensor {
  knownType(name, tensor);
  const data =
    tensor.type === 'float16' && !(tensor.data instanceof Uint16Array)
      ? new Uint16Array((tensor.data as unknown as { buffer: ArrayBuffer }).buffer)
      : tensor.data;
  return createTensor(tensor.type as TensorDataType, tensor.dims, data as never);
}
