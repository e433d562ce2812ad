import { IvlError } from './ivl-error.js';

const name = 'DisposedError';
const marker = Symbol.for(`ivl.error.${name}`);

/** A call reached something that was disposed (a runtime, a session), or was queued when it was. */
export class DisposedError extends IvlError {
  protected readonly [marker] = true;
  /** What was disposed, e.g. `runtime`. */
  readonly resource: string;

  constructor({ resource, message, cause }: { resource: string; message?: string; cause?: unknown }) {
    super({
      name,
      message:
        message ??
        `The ${resource} was disposed, so this call cannot run. Create a new ${resource} to go on.`,
      cause,
    });
    this.resource = resource;
  }

  static override isInstance(error: unknown): error is DisposedError {
    return IvlError.hasMarker(error, marker);
  }
}
