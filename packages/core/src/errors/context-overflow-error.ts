import { IvlError } from './ivl-error.js';

const name = 'ContextOverflowError';
const marker = Symbol.for(`ivl.error.${name}`);

/** A prompt (plus what is cached and what is to be generated) does not fit the model's context. */
export class ContextOverflowError extends IvlError {
  protected readonly [marker] = true;
  /** Tokens that were needed. */
  readonly neededTokens: number;
  /** The model's context length. */
  readonly limitTokens: number;

  constructor({
    neededTokens,
    limitTokens,
    hint,
    cause,
  }: { neededTokens: number; limitTokens: number; hint?: string; cause?: unknown }) {
    super({
      name,
      message:
        `The context needs ${neededTokens} tokens but the model holds ${limitTokens} (over by ${neededTokens - limitTokens}). ` +
        (hint ?? 'Use fewer image tiles (maxTiles) or video frames, or a shorter history.'),
      cause,
    });
    this.neededTokens = neededTokens;
    this.limitTokens = limitTokens;
  }

  static override isInstance(error: unknown): error is ContextOverflowError {
    return IvlError.hasMarker(error, marker);
  }
}
