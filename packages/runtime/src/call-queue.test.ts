import { AbortedError, DisposedError } from '@ivl/core';
import { describe, expect, it } from 'vitest';
import { CallQueue } from './call-queue.js';

describe('CallQueue', () => {
  it('should hand the turn on in arrival order', async () => {
    const queue = new CallQueue();
    const order: number[] = [];
    const first = await queue.acquire();
    const second = queue.acquire().then((release) => {
      order.push(2);
      release();
    });
    const third = queue.acquire().then((release) => {
      order.push(3);
      release();
    });
    expect(queue.depth).toBe(2);
    order.push(1);
    first();
    await Promise.all([second, third]);
    expect(order).toEqual([1, 2, 3]);
    expect(queue.busy).toBe(false);
  });

  it('should let a waiting call leave the line when its signal aborts', async () => {
    const queue = new CallQueue();
    const held = await queue.acquire();
    const controller = new AbortController();
    const waiting = queue.acquire(controller.signal);
    const after = queue.acquire();
    controller.abort('no longer needed');
    const error = await waiting.catch((e: unknown) => e);
    expect(AbortedError.isInstance(error)).toBe(true);
    expect(queue.depth).toBe(1);
    held();
    (await after)();
    await expect(queue.whenIdle()).resolves.toBeUndefined();
  });

  it('should turn waiting and later calls away when closed, and ignore a second release', async () => {
    const queue = new CallQueue();
    const held = await queue.acquire();
    const waiting = queue.acquire();
    queue.close(new DisposedError({ resource: 'runtime' }));
    expect(DisposedError.isInstance(await waiting.catch((e: unknown) => e))).toBe(true);
    expect(DisposedError.isInstance(await queue.acquire().catch((e: unknown) => e))).toBe(true);
    const idle = queue.whenIdle();
    held();
    held();
    await idle;
    expect(queue.busy).toBe(false);
  });
});
