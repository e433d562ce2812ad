import type { WasmKernels } from './load-kernels.js';

/**
 * The passes of one tiling job, in the order their inputs become ready: every horizontal pass
 * before any vertical one, every vertical one before any normalization.
 */
export const PHASES = { horizontal: 0, vertical: 1, normalize: 2 } as const;
type Phase = (typeof PHASES)[keyof typeof PHASES];

/**
 * Ints per task: the phase, the kernel (0 horizontal, 1 vertical, 2 normalize), the group (−1 for
 * none), 8 arguments.
 */
export const TASK_INTS = 11;

/**
 * The counters shared by the threads (an Int32Array over `3 + MAX_GROUPS` words): the next
 * ticket, the tasks done, of those the tasks the helper threads did, then per group of the job
 * the tasks of it done.
 */
export const CONTROL = { next: 0, done: 1, helped: 2, groups: 3 } as const;

/** How many groups a job may have (one per tile: MAX_TILES_LIMIT and a thumbnail fit). */
export const MAX_GROUPS = 80;

/**
 * @internal A job's kernel calls, each over a band of rows, to be run in phase order by one
 * thread or several (kernel-threads.ts). Each call writes only its own rows, so bands of a phase
 * run in any order and at once.
 */
export class KernelTasks {
  private readonly records: number[] = [];
  private readonly phaseCounts = [0, 0, 0];
  /** Per group, how many tasks it has. */
  readonly groupSizes: number[] = [];

  /** How many calls a pass over `rows` rows is cut into: bands of at least 8 rows, ≤ 32 bands. */
  static bands(rows: number): number {
    return Math.max(1, Math.min(32, Math.floor(rows / 8)));
  }

  /**
   * Adds a kernel call. Tasks given a `group` (0, 1, … < MAX_GROUPS) are counted per group as
   * they finish, so that the calling thread can use a group's results while others still run.
   */
  add(phase: Phase, kernel: 0 | 1 | 2, args: readonly number[], group = -1): void {
    if (group >= MAX_GROUPS)
      throw new RangeError(`A job has at most ${MAX_GROUPS} groups, got group ${group}.`);
    this.records.push(phase, kernel, group, ...args, ...Array(8 - args.length).fill(0));
    this.phaseCounts[phase]!++;
    if (group >= 0) {
      while (this.groupSizes.length <= group) this.groupSizes.push(0);
      this.groupSizes[group]!++;
    }
  }

  get count(): number {
    return this.records.length / TASK_INTS;
  }

  /** The tasks sorted by phase (stable), and where each phase starts among them. */
  encode(): { tasks: Int32Array; starts: Int32Array } {
    const tasks = new Int32Array(this.records.length);
    const starts = new Int32Array(3);
    for (let phase = 1; phase < 3; phase++) starts[phase] = starts[phase - 1]! + this.phaseCounts[phase - 1]!;
    const cursor = Array.from(starts);
    for (let i = 0; i < this.count; i++) {
      const phase = this.records[i * TASK_INTS]!;
      tasks.set(this.records.slice(i * TASK_INTS, (i + 1) * TASK_INTS), cursor[phase]! * TASK_INTS);
      cursor[phase]!++;
    }
    return { tasks, starts };
  }
}

/**
 * Runs tasks `base … base + count − 1` of a job until none is left to take, or `limit` have run:
 * the loop every thread of the job runs, the calling one included (with a private control, it
 * runs them all in order). A task is taken by advancing `next` from its ticket (tickets only
 * grow, so a thread still holding an earlier job's range never takes a later job's task), and
 * waits until every task of the earlier phases is done. Returns how many tasks this thread ran.
 * Self-contained (no imports, no closures): a worker's source is built from this function's text.
 */
export function drainTasks(
  kernels: Pick<WasmKernels, 'horizontal' | 'vertical' | 'normalize'>,
  tasks: Int32Array,
  starts: Int32Array,
  control: Int32Array,
  base: number,
  count: number,
  limit = count,
): number {
  const end = base + count;
  let ran = 0;
  while (ran < limit) {
    const ticket = Atomics.load(control, 0);
    if (ticket >= end || ticket < base) return ran;
    if (Atomics.compareExchange(control, 0, ticket, ticket + 1) !== ticket) continue;
    const at = (ticket - base) * 11;
    const ready = base + starts[tasks[at]!]!;
    for (let done = Atomics.load(control, 1); done < ready; done = Atomics.load(control, 1)) {
      Atomics.wait(control, 1, done, 50);
    }
    const a = (k: number) => tasks[at + 3 + k]!;
    const kernel = tasks[at + 1];
    if (kernel === 0) kernels.horizontal(a(0), a(1), a(2), a(3), a(4), a(5), a(6), a(7));
    else if (kernel === 1) kernels.vertical(a(0), a(1), a(2), a(3), a(4), a(5), a(6), a(7));
    else kernels.normalize(a(0), a(1), a(2), a(3), a(4), a(5), a(6));
    ran++;
    // The group's count first: a thread that sees `done` move may look at the group next.
    const group = tasks[at + 2]!;
    if (group >= 0) Atomics.add(control, 3 + group, 1);
    Atomics.add(control, 1, 1);
    Atomics.notify(control, 1);
  }
  return ran;
}
