import { DisposedError } from './disposed-error.js';
import { IvlError } from './ivl-error.js';

const marker = Symbol.for('ivl.error.SessionDisposedError');

/** A backend session was run after it (or its backend) was disposed. */
export class SessionDisposedError extends DisposedError {
  protected readonly [marker] = true;
  /** What the session ran, e.g. its model file. */
  readonly session: string;

  constructor({ session }: { session: string }) {
    super({
      resource: 'session',
      message: `The session of ${session} was disposed; create a new one (or a new runtime).`,
    });
    this.name = 'SessionDisposedError';
    this.session = session;
  }

  static override isInstance(error: unknown): error is SessionDisposedError {
    return IvlError.hasMarker(error, marker);
  }
}
