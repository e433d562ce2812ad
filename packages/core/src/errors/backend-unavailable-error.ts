import { IvlError } from './ivl-error.js';

const name = 'BackendUnavailableError';
const marker = Symbol.for(`ivl.error.${name}`);

/** A backend or one of its devices cannot run here (missing libraries, no adapter, ...). */
export class BackendUnavailableError extends IvlError {
  protected readonly [marker] = true;
  readonly backendName: string;
  readonly device: string;

  constructor({
    backendName,
    device,
    message,
    cause,
  }: { backendName: string; device: string; message: string; cause?: unknown }) {
    super({ name, message, cause });
    this.backendName = backendName;
    this.device = device;
  }

  static override isInstance(error: unknown): error is BackendUnavailableError {
    return IvlError.hasMarker(error, marker);
  }
}
