import { createNodeBackend } from '@ivl/backend-node';
import { AbortedError } from '@ivl/core';
import { tinyModel } from '@ivl/test-models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime } from '../node/create-runtime.js';
import { connectRuntime, type RemoteRuntime, type WorkerPort } from './connect-runtime.js';
import { exposeRuntime, type WorkerScope } from './expose-runtime.js';

// The page and the worker joined by a real MessageChannel, the runtime in the "worker" a real one
// (the Node backend on a tiny model): the protocol as the browser runs it, on one thread.
describe('connectRuntime ↔ exposeRuntime over a MessageChannel', () => {
  let remote: RemoteRuntime;
  let channel: MessageChannel;
  beforeAll(async () => {
    const { model } = await tinyModel('tiny-qwen2');
    channel = new MessageChannel();
    exposeRuntime(
      (init: { model: string }) => createRuntime({ model: init.model, backend: createNodeBackend() }),
      channel.port2 as unknown as WorkerScope,
    );
    remote = await connectRuntime(channel.port1 as unknown as WorkerPort, { model });
  }, 120_000);
  afterAll(async () => {
    await remote?.dispose();
    channel?.port1.close();
  });

  it('should end a stopped answer on the page at once, and stop the worker before the next call', async () => {
    const controller = new AbortController();
    const stream = remote.chat([{ role: 'user', content: 'Tell me a long story.' }], {
      maxNewTokens: 3000,
      doSample: true,
      temperature: 1,
      signal: controller.signal,
    });
    const iterator = stream[Symbol.asyncIterator]();
    let deltas = 0;
    while (deltas < 5) {
      const { value } = await iterator.next();
      if (value?.type === 'token-delta') deltas++;
    }
    // Let the worker run ahead of the reader, as a busy page lets it: events wait in the queue.
    await new Promise((resolve) => setTimeout(resolve, 100));
    controller.abort();
    // Events the worker sent before it saw the stop, or sends while it finishes its step, are not
    // the answer any more: the very next read ends the stream.
    await expect(iterator.next()).rejects.toSatisfy((error) => AbortedError.isInstance(error));
    // The worker stopped too: the next call runs at once, and only its own few steps follow.
    const result = await remote.chat([{ role: 'user', content: 'Hi.' }], { maxNewTokens: 4 }).result();
    expect(result.usage.generatedTokens).toBeLessThanOrEqual(4);
    // Far fewer than the 3000 asked (the second call waited for the first's end in the worker).
    expect(remote.stats.decodeSteps).toBeLessThan(1000);
  }, 120_000);
});
