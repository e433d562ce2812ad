import { IvlError } from './ivl-error.js';

const name = 'CheckpointError';
const marker = Symbol.for(`ivl.error.${name}`);

/** A Hugging Face checkpoint is malformed: bad safetensors, missing/extra/misshapen tensors, unknown config. */
export class CheckpointError extends IvlError {
  protected readonly [marker] = true;
  /** The file at fault. */
  readonly path: string;
  /** The tensor at fault, when there is one. */
  readonly tensor: string | undefined;

  constructor({
    path,
    tensor,
    message,
    cause,
  }: { path: string; tensor?: string; message: string; cause?: unknown }) {
    super({ name, message, cause });
    this.path = path;
    this.tensor = tensor;
  }

  static override isInstance(error: unknown): error is CheckpointError {
    return IvlError.hasMarker(error, marker);
  }
}
