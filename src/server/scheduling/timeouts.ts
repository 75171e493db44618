/**
 * Attempt timeouts: a lease of a task with a timeout (its own, or its type's default on this
 * server) must be reported by `at`, or the attempt fails with `timeout`. The server holding
 * the lease enforces it (with several servers on one database, each its own leases), with
 * one timer for the earliest deadline, never one per task: a lease without a timeout costs
 * one field check when it is held and one `size` check when it settles.
 *
 * Deadlines sit in a binary heap; a lease that settles in time leaves its entry behind (it
 * is skipped when it comes up), and the heap is rebuilt from the live ones when the dead
 * outnumber them.
 */
import type { Lease } from '../../store/types.ts';
import type { Committer } from '../committer.ts';

export interface TimeoutsOptions {
  now: () => number;
  /** Per task type, the attempt timeout (ms) of tasks that have none of their own. */
  defaults: ReadonlyMap<string, number>;
  /** These leases ran past their timeout (each once; they are forgotten here). */
  expire: (tokens: number[]) => void;
}

interface Entry {
  at: number;
  token: number;
}

/** setTimeout's longest delay; a later deadline is reached in several waits. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export class AttemptTimeouts {
  private heap: Entry[] = [];
  /** Token → deadline, of the leases held with a timeout. */
  private readonly live = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private stopped = false;

  constructor(private readonly opts: TimeoutsOptions) {}

  /** A lease was handed out: its deadline, if it has a timeout, is watched from now. */
  hold(lease: Lease): void {
    const ms =
      lease.timeoutMs ?? (this.opts.defaults.size > 0 ? this.opts.defaults.get(lease.type) : null);
    if (ms === null || ms === undefined) return;
    const at = this.opts.now() + ms;
    this.live.set(lease.token, at);
    push(this.heap, { at, token: lease.token });
    if (at < this.timerAt) this.arm(at);
  }

  /** The lease settled (reported, given back, revoked): its timeout no longer applies. */
  settle(token: number): void {
    if (this.live.size === 0 || !this.live.delete(token)) return;
    if (this.heap.length > 64 && this.heap.length > 2 * this.live.size) this.compact();
  }

  /** How many leases are watched (tests, diagnostics). */
  get size(): number {
    return this.live.size;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(at: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    const wait = Math.min(MAX_TIMEOUT_MS, Math.max(0, at - this.opts.now()));
    this.timer = setTimeout(() => this.fire(), wait);
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    const now = this.opts.now();
    const due: number[] = [];
    while (this.heap.length > 0 && this.heap[0]!.at <= now) {
      const { at, token } = pop(this.heap)!;
      if (this.live.get(token) !== at) continue; // settled in time
      this.live.delete(token);
      due.push(token);
    }
    while (this.heap.length > 0 && this.live.get(this.heap[0]!.token) !== this.heap[0]!.at) {
      pop(this.heap);
    }
    if (this.heap.length > 0) this.arm(this.heap[0]!.at);
    if (due.length > 0) this.opts.expire(due);
  }

  private compact(): void {
    const entries = [...this.live].map(([token, at]) => ({ at, token }));
    this.heap = [];
    for (const e of entries) push(this.heap, e);
  }
}

/** What failing timed-out attempts needs of the scheduler. */
export interface TimedOutHost {
  committer: Committer;
  /** When attempt `n`, failed now, may be retried. */
  retryAt: (n: number) => number;
  dueAt: (at: number) => void;
  /** Slots were freed. */
  wake: () => void;
  onError: (error: unknown, context: string) => void;
}

/**
 * Fails attempts past their timeout, already taken from their workers (whose signal aborted
 * with `timeout`): each with the error `timeout`, retried with backoff as any failure.
 */
export async function failTimedOut(leases: Lease[], host: TimedOutHost): Promise<void> {
  if (leases.length === 0) return;
  host.wake();
  await Promise.all(
    leases.map(async ({ token, attempt }) => {
      const retryAt = host.retryAt(attempt);
      try {
        const task = await host.committer.fail({
          token,
          error: 'timeout',
          retryAt,
          reason: 'timeout',
        });
        if (task && task.status !== 'failed') host.dueAt(retryAt);
      } catch (error) {
        // Not stored: the lease stays active in the store until it expires (it runs again).
        host.onError(error, 'failing an attempt past its timeout');
      }
    }),
  );
}

function push(heap: Entry[], e: Entry): void {
  heap.push(e);
  let i = heap.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (heap[parent]!.at <= e.at) break;
    heap[i] = heap[parent]!;
    i = parent;
  }
  heap[i] = e;
}

function pop(heap: Entry[]): Entry | undefined {
  const top = heap[0];
  const last = heap.pop();
  if (heap.length === 0 || last === undefined) return top;
  let i = 0;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= heap.length) break;
    const r = l + 1;
    const c = r < heap.length && heap[r]!.at < heap[l]!.at ? r : l;
    if (heap[c]!.at >= last.at) break;
    heap[i] = heap[c]!;
    i = c;
  }
  heap[i] = last;
  return top;
}
