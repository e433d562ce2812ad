import { AbortedError, DisposedError } from '@ivl/core';
import type { CallQueue } from './call-queue.js';
import type { ChatEvent, ChatResult, ChatStream } from './chat-types.js';

/**
 * Wraps one call's events as a {@link ChatStream}. The call takes its turn in `queue` only when
 * the stream is first iterated (or `result()`/`text()` is awaited): a stream nobody reads never
 * holds up the calls after it, and one returned before reading never runs. The turn is handed on
 * when the events end, fail, or the reader stops (`break`, `return()`).
 */
export function createChatStream(
  run: () => AsyncGenerator<ChatEvent>,
  queue: CallQueue,
  signals: { readonly call?: AbortSignal; readonly disposed: AbortSignal },
): ChatStream {
  let final: ChatResult | undefined;
  const iterator = (async function* () {
    let release: (() => void) | undefined;
    try {
      release = await queue.acquire(signals.call);
      for await (const event of run()) {
        if (event.type === 'done') final = event;
        yield event;
      }
    } catch (error) {
      if (signals.disposed.aborted && !DisposedError.isInstance(error)) {
        throw new DisposedError({ resource: 'runtime', cause: error });
      }
      if (signals.call?.aborted && !AbortedError.isInstance(error)) {
        throw new AbortedError({ cause: signals.call.reason });
      }
      throw error;
    } finally {
      release?.();
    }
  })();
  return chatStreamOver(iterator, () => final);
}

/**
 * A {@link ChatStream} over a call's events: `result()`/`text()` consume what was not iterated and
 * give the `done` event that `final` reports (a stream closed before it is an `AbortedError`).
 */
export function chatStreamOver(
  iterator: AsyncGenerator<ChatEvent>,
  final: () => ChatResult | undefined,
): ChatStream {
  const drain = async () => {
    for await (const _event of { [Symbol.asyncIterator]: () => iterator }) {
      // consumed for its side effects
    }
    const result = final();
    if (!result) throw new AbortedError({ message: 'The chat stream was closed before it finished.' });
    return result;
  };
  return {
    [Symbol.asyncIterator]: () => iterator,
    result: () => {
      const result = final();
      return result ? Promise.resolve(result) : drain();
    },
    text: async () => (final() ?? (await drain())).text,
  };
}
