import { InvalidArgumentError } from '@ivl/core';
import { CONTROL, drainTasks, type KernelTasks, MAX_GROUPS } from './kernel-tasks.js';
import type { WasmKernels } from './load-kernels.js';

// What this file uses of node:worker_threads and node:os, reached through
// process.getBuiltinModule so that the package stays importable in browsers, where tiling runs on
// the calling thread.
interface NodeWorker {
  postMessage(message: unknown): void;
  on(event: 'error' | 'exit', listener: () => void): void;
  unref(): void;
  terminate(): Promise<number>;
}
interface WorkerThreads {
  Worker: new (source: string, options: { eval: true; workerData: unknown }) => NodeWorker;
}
interface NodeOs {
  availableParallelism(): number;
}

function builtin<T>(id: string): T | undefined {
  const process = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  try {
    return process?.getBuiltinModule?.(id) as T | undefined;
  } catch {
    return undefined;
  }
}

// A job smaller than this runs on the calling thread: waking a helper costs ~0.1 ms.
const MIN_PARALLEL_TASKS = 4;
// A helper that makes no progress for this long is taken for dead (its thread crashed or was
// killed): the job is run again on the calling thread, and tiling stays there from then on.
const STALL_MS = 5_000;

let requestedThreads: number | undefined;

/**
 * How many threads tiling uses in Node (the calling one and `count − 1` workers, started on first
 * use, which never keep the process alive); a process-wide setting, like `sharp.concurrency()`.
 * Without an argument, returns the current setting. In browsers tiling runs on the calling thread.
 *
 * @default min(4, os.availableParallelism())
 * @throws {InvalidArgumentError} for a count that is not an integer from 1 to 64
 */
export function tilingThreads(count?: number): number {
  if (count !== undefined) {
    if (!Number.isInteger(count) || count < 1 || count > 64) {
      throw new InvalidArgumentError({
        argument: 'count',
        message: `Expected a thread count from 1 to 64, got ${String(count)}.`,
      });
    }
    requestedThreads = count;
  }
  return requestedThreads ?? Math.min(4, builtin<NodeOs>('node:os')?.availableParallelism() ?? 1);
}

interface Pool {
  readonly workers: NodeWorker[];
  readonly control: Int32Array;
  broken: boolean;
}
let pool: Pool | undefined;

// After a stall: the helpers are stopped, and tiling stays on the calling thread.
function breakPool(broken: Pool): void {
  broken.broken = true;
  for (const worker of broken.workers) void worker.terminate();
}

// The helpers' source: drainTasks (kernel-tasks.ts) on an instance of the shared-memory kernels.
function workerSource(): string {
  return `'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const drainTasks = ${drainTasks.toString()};
const kernels = new WebAssembly.Instance(workerData.module, { env: { memory: workerData.memory } }).exports;
const control = new Int32Array(workerData.control);
parentPort.on('message', (job) => {
  const ran = drainTasks(kernels, job.tasks, job.starts, control, job.base, job.count);
  if (ran > 0) Atomics.add(control, ${CONTROL.helped}, ran);
});
`;
}

// The first `threads − 1` helpers, started where fewer are running (a lower setting leaves the
// others idle: a helper costs nothing while it waits for a message).
function helpers(module: WebAssembly.Module, memory: WebAssembly.Memory): Pool | undefined {
  const threads = tilingThreads();
  if (threads < 2 || pool?.broken) return undefined;
  const workerThreads = builtin<WorkerThreads>('node:worker_threads');
  if (!workerThreads) return undefined;
  pool ??= {
    workers: [],
    control: new Int32Array(new SharedArrayBuffer(4 * (3 + MAX_GROUPS))),
    broken: false,
  };
  const team = pool;
  try {
    while (team.workers.length < threads - 1) {
      const worker = new workerThreads.Worker(workerSource(), {
        eval: true,
        workerData: { module, memory, control: team.control.buffer },
      });
      worker.on('error', () => breakPool(team));
      worker.on('exit', () => breakPool(team));
      worker.unref();
      team.workers.push(worker);
    }
  } catch {
    breakPool(team);
    return undefined;
  }
  return { ...team, workers: team.workers.slice(0, threads - 1) };
}

/** @internal How many tasks the helper threads have run since they started (0 without them). */
export function helpedTasks(): number {
  return pool ? Atomics.load(pool.control, CONTROL.helped) : 0;
}

/**
 * @internal Runs a job's tasks: on this thread alone, or with the helper threads where the
 * kernels' memory is shared. `meanwhile` is work for this thread only, done while the helpers
 * start on the tasks (first-touching the output buffer, which costs as much as a pass here).
 * `finished(group)` is called on this thread for each group of the job, in order, once its tasks
 * are done: between tasks of its own, this thread uses the groups already done (copies a tile out)
 * while the helpers run the rest. A helper that has not started yet (the first job starts them)
 * simply takes no task.
 */
export function runKernelTasks(
  kernels: WasmKernels,
  job: KernelTasks,
  meanwhile?: () => void,
  finished?: (group: number) => void,
): void {
  const { tasks, starts } = job.encode();
  const { count, groupSizes } = job;
  const module = kernels.sharedModule;
  const team = module && count >= MIN_PARALLEL_TASKS ? helpers(module, kernels.memory) : undefined;
  let next = 0;
  // The whole job on this thread, then the groups not yet used.
  const alone = () => {
    drainTasks(kernels, tasks, starts, new Int32Array(CONTROL.groups + groupSizes.length), 0, count);
    while (finished && next < groupSizes.length) finished(next++);
  };
  if (!team) {
    meanwhile?.();
    alone();
    return;
  }
  const { control } = team;
  let base = Atomics.load(control, CONTROL.next);
  // Tickets are 32-bit: start again from 0 long before they overflow (no job is running now).
  if (base > 2 ** 30) {
    base = 0;
    Atomics.store(control, CONTROL.next, 0);
    Atomics.store(control, CONTROL.done, 0);
  }
  for (let group = 0; group < groupSizes.length; group++) Atomics.store(control, CONTROL.groups + group, 0);
  for (const worker of team.workers) worker.postMessage({ tasks, starts, base, count });
  meanwhile?.();
  let last = -1;
  let since = performance.now();
  for (;;) {
    const done = Atomics.load(control, CONTROL.done);
    if (done !== last) {
      last = done;
      since = performance.now();
    }
    // A group's count is raised before `done`: once every task is done, so is every group.
    if (
      finished &&
      next < groupSizes.length &&
      Atomics.load(control, CONTROL.groups + next) === groupSizes[next]
    ) {
      finished(next++);
      continue;
    }
    if (done >= base + count) return;
    // No group to use: run a task (one, where groups are waited for), or wait for the helpers'.
    if (drainTasks(kernels, tasks, starts, control, base, count, finished ? 1 : count) > 0) continue;
    if (performance.now() - since > STALL_MS) {
      // Every task writes what it would write on any thread, so running the job again is safe.
      breakPool(pool!);
      alone();
      return;
    }
    Atomics.wait(control, CONTROL.done, done, 100);
  }
}
