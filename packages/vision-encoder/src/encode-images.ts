import {
  type BackendSession,
  createTensor,
  float16BitsToFloat32,
  float32ArrayToFloat16,
  InvalidArgumentError,
  ShapeMismatchError,
  type Tensor,
  throwIfAborted,
} from '@ivl/core';

/** Options of {@link encodeImages}. */
export interface EncodeImagesOptions {
  /** Tiles per session run; bounds activation memory (13 tiles never run at once unless asked). @default 4 */
  readonly microBatchSize?: number;
  /** The element type the model's `pixel_values` input takes; input of the other type is converted. @default 'float32' */
  readonly modelInputType?: 'float32' | 'float16';
  /** Called after each micro-batch with the tiles done so far. */
  readonly onProgress?: (tilesDone: number, tilesTotal: number) => void;
  readonly signal?: AbortSignal;
  /** Input and output names. @default 'pixel_values', 'last_hidden_state' */
  readonly inputName?: string;
  readonly outputName?: string;
}

function convertSlice(
  pixelValues: Tensor<'float32'> | Tensor<'float16'>,
  start: number,
  end: number,
  to: 'float32' | 'float16',
): Tensor<'float32'> | Tensor<'float16'> {
  const plane = pixelValues.dims.slice(1).reduce((a, b) => a * b, 1);
  const dims = [end - start, ...pixelValues.dims.slice(1)];
  const slice = pixelValues.data.subarray(start * plane, end * plane);
  if (pixelValues.dtype === to)
    return createTensor(to, dims, slice as never) as Tensor<'float32'> | Tensor<'float16'>;
  if (to === 'float16') return createTensor('float16', dims, float32ArrayToFloat16(slice as Float32Array));
  return createTensor('float32', dims, Float32Array.from(slice as Uint16Array, float16BitsToFloat32));
}

/**
 * Runs the vision encoder over `pixel_values` [N, 3, S, S] in micro-batches and returns the
 * concatenated features [N, tokens, C] as float32. The result equals a single run over all tiles.
 *
 * @example
 * ```ts
 * const features = await encodeImages(session, tiled.pixelValues, { microBatchSize: 2 });
 * features.dims; // [13, 1024, 1024] for 13 tiles of InternViT-300M
 * ```
 * @throws {ShapeMismatchError} for input that is not [N, 3, S, S]
 * @throws {AbortedError} when `signal` aborts between micro-batches
 */
export async function encodeImages(
  session: BackendSession,
  pixelValues: Tensor<'float32'> | Tensor<'float16'>,
  options: EncodeImagesOptions = {},
): Promise<Tensor<'float32'>> {
  const {
    microBatchSize = 4,
    modelInputType = 'float32',
    onProgress,
    signal,
    inputName = 'pixel_values',
    outputName = 'last_hidden_state',
  } = options;
  if (!Number.isInteger(microBatchSize) || microBatchSize < 1) {
    throw new InvalidArgumentError({
      argument: 'microBatchSize',
      message: `\`microBatchSize\` must be a positive integer, got ${microBatchSize}.`,
    });
  }
  const [tiles, channels] = pixelValues.dims;
  if (pixelValues.dims.length !== 4 || channels !== 3 || !tiles) {
    throw new ShapeMismatchError({
      message: `pixel_values must be [N, 3, S, S] with N ≥ 1, got [${pixelValues.dims.join(', ')}].`,
      expectedDims: [-1, 3, -1, -1],
      actualDims: pixelValues.dims,
    });
  }
  const chunks: Float32Array[] = [];
  let featureDims: readonly number[] = [];
  for (let start = 0; start < tiles; start += microBatchSize) {
    throwIfAborted(signal);
    const end = Math.min(tiles, start + microBatchSize);
    const outputs = await session.run(
      { [inputName]: convertSlice(pixelValues, start, end, modelInputType) },
      { signal },
    );
    const features = outputs[outputName] as Tensor | undefined;
    if (!features || 'kind' in features) {
      throw new ShapeMismatchError({
        message: `The vision encoder gave no host output "${outputName}".`,
        expectedDims: [],
        actualDims: [],
      });
    }
    featureDims = features.dims;
    chunks.push(
      features.dtype === 'float16'
        ? Float32Array.from(features.data as Uint16Array, float16BitsToFloat32)
        : (features.data as Float32Array),
    );
    onProgress?.(end, tiles);
  }
  const perTile = featureDims.slice(1).reduce((a, b) => a * b, 1);
  const data = new Float32Array(tiles * perTile);
  let offset = 0;
  for (const chunk of chunks) {
    data.set(chunk, offset);
    offset += chunk.length;
  }
  return createTensor('float32', [tiles, ...featureDims.slice(1)], data);
}
