/**
 * The scheduler hands tasks to workers. Each worker (the built-in executor or a remote
 * connection) declares its types and how many tasks it runs at once; the scheduler claims
 * at most that many leases from the store for it (credit-based: never more in flight than
 * declared), round-robin across workers. It wakes on events (a submit, a freed slot, a
 * lease given back, a retry coming due), never on a polling loop; a single sweep timer
 * takes back expired leases.
 */
import { isTerminal, type Json } from '../protocol/tasks.ts';
import type { ClaimRequest, Completion, Lease, Store, TaskRecord } from '../store/types.ts';
import type { Committer } from './committer.ts';
import type { ServerEvents, TypedEmitter } from './events.ts';

/** A worker as the scheduler sees it. */
export interface WorkerSlot {
  readonly id: string;
  /** Recorded in each attempt: who ran it. */
  readonly name: string;
  readonly types: readonly string[];
  readonly concurrency: number;
  /** In-process workers are alive while the server is: the sweep extends their leases. */
  readonly local: boolean;
  /** Takes leased tasks. Called only within the worker's free capacity. */
  assign(leases: Lease[]): void;
  /** The worker lost these leases (expired or canceled): it should stop and not report. */
  revoke(tokens: number[], reason: 'expired' | 'canceled'): void;
  /** False while the worker cannot take more (e.g. its socket is not draining). */
  ready?(): boolean;
  /**
   * A pull worker is never pushed tasks by the pump: it asks with `claimFor` (the legacy
   * tally protocol answers each request with a key or "wait").
   */
  readonly pull?: boolean;
}

interface SlotState {
  slot: WorkerSlot;
  key: string;
  inFlight: Set<number>;
  done: number;
  since: number;
}

export interface SchedulerOptions {
  leaseMs: number;
  sweepMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  now: () => number;
  /** A committed or observed change of a task somebody may be waiting on. */
  onTaskChanged: (task: TaskRecord) => void;
  /** Whether anybody wants the updates of a running task (to skip reads nobody needs). */
  isWatched: (taskId: number) => boolean;
  onError: (error: unknown, context: string) => void;
  /** A sweep reached the store (the server's health check of the store). */
  onSweep?: () => void;
}

/** Free slots a worker needs before the pump claims for it: a quarter of them, at least one. */
function refillAt(concurrency: number): number {
  return Math.max(1, Math.floor(concurrency / 4));
}

export class Scheduler {
  private readonly slots = new Map<string, SlotState>();
  /** Every lease handed out and not yet settled: token → holder and task. */
  private readonly owners = new Map<number, { state: SlotState; lease: Lease }>();
  /** Type sets (keys) known to have nothing ready: no claim is tried for them. */
  private readonly exhausted = new Set<string>();
  /**
   * Counts `workAppeared` calls. A claim that came back short marks its type set exhausted
   * only if no work appeared while it ran: with a store that answers asynchronously, a
   * submit committed during the claim would otherwise be forgotten (a lost wake-up).
   */
  private workSeen = 0;
  private order: SlotState[] = [];
  private rr = 0;
  private pumping = false;
  private again = false;
  private pumpScheduled = false;
  private sweepTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryAt = Number.POSITIVE_INFINITY;
  private closed = false;

  constructor(
    private readonly store: Store,
    private readonly committer: Committer,
    private readonly events: TypedEmitter<ServerEvents>,
    private readonly opts: SchedulerOptions,
  ) {}

  async start(): Promise<void> {
    this.sweepTimer = setInterval(() => void this.sweep(), this.opts.sweepMs);
    const next = await this.store.nextRunAt(this.opts.now());
    if (next !== undefined) this.scheduleRetry(next);
    this.wake();
  }

  /** Stops claiming; leases already handed out stay with their workers. */
  stop(): void {
    this.closed = true;
    clearInterval(this.sweepTimer);
    clearTimeout(this.retryTimer);
  }

  addWorker(slot: WorkerSlot): void {
    const state: SlotState = {
      slot,
      key: [...slot.types].sort().join(','),
      inFlight: new Set(),
      done: 0,
      since: this.opts.now(),
    };
    this.slots.set(slot.id, state);
    this.order = [...this.slots.values()];
    this.wake();
  }

  /** Removes a worker and gives its leases back to the queue at once. */
  async removeWorker(id: string): Promise<void> {
    const state = this.slots.get(id);
    if (!state) return;
    this.slots.delete(id);
    this.order = [...this.slots.values()];
    const tokens = [...state.inFlight];
    state.inFlight.clear();
    for (const t of tokens) this.owners.delete(t);
    await Promise.all(tokens.map((t) => this.committer.release(t)));
    if (tokens.length > 0) this.workAppeared();
  }

  /** Counters for a worker, for the `workers` listing. */
  stats(id: string): { inFlight: number; done: number; since: number } | undefined {
    const s = this.slots.get(id);
    return s && { inFlight: s.inFlight.size, done: s.done, since: s.since };
  }

  inFlightOf(id: string): number[] {
    return [...(this.slots.get(id)?.inFlight ?? [])];
  }

  /**
   * New tasks may be ready (a submit committed, a lease came back). `committed`: called
   * right after a commit, so the claim can run at once instead of a turn later.
   */
  workAppeared(committed = false): void {
    this.exhausted.clear();
    this.workSeen += 1;
    this.wake(committed);
  }

  /** Records a completion by the worker holding the lease. False when the lease is stale. */
  async complete(
    slotId: string,
    token: number,
    result: Json | undefined,
    units = 1,
  ): Promise<boolean> {
    const [accepted] = await this.completeMany(slotId, [{ token, result, units }]);
    return accepted ?? false;
  }

  /**
   * Records a worker's completions, all in one commit; per item, whether it was accepted
   * (false when the lease is stale).
   */
  async completeMany(slotId: string, items: Completion[]): Promise<boolean[]> {
    const tasks = await this.settle(slotId, items, (held) => this.committer.completeMany(held));
    const state = this.slots.get(slotId);
    let shortOfReps = false;
    for (const task of tasks) {
      if (!task) continue;
      if (state) state.done += 1;
      // A multi-unit task that came back short of its reps can be leased again.
      if (!isTerminal(task.status) && task.unitsDone + task.unitsLeased < task.reps) {
        shortOfReps = true;
      }
    }
    if (shortOfReps) this.workAppeared(true);
    return tasks.map((task) => task !== undefined);
  }

  /** Records a failed attempt; the task is retried later or marked failed. */
  async fail(slotId: string, token: number, error: string): Promise<boolean> {
    const attempt = this.owners.get(token)?.lease.attempt ?? 1;
    const delay = Math.min(
      this.opts.retryBaseMs * 2 ** Math.max(0, attempt - 1),
      this.opts.retryMaxMs,
    );
    const retryAt = this.opts.now() + delay;
    const [task] = await this.settle(slotId, [{ token }], async () => [
      await this.committer.fail({ token, error, retryAt }),
    ]);
    if (task && task.status !== 'failed') this.scheduleRetry(retryAt);
    return task !== undefined;
  }

  /** Moves the deadline of this worker's leases (heartbeat); false for tokens it does not hold. */
  async extend(slotId: string, tokens: number[]): Promise<boolean[]> {
    const held = tokens.filter((t) => this.owners.get(t)?.state.slot.id === slotId);
    const now = this.opts.now();
    const ok = held.length > 0 ? await this.store.extend(held, now + this.opts.leaseMs, now) : [];
    const result = new Map(held.map((t, i) => [t, ok[i] ?? false]));
    return tokens.map((t) => result.get(t) ?? false);
  }

  /** Gives one lease back without a verdict (the worker stops or hands it back). */
  async release(slotId: string, token: number): Promise<boolean> {
    const [task] = await this.settle(slotId, [{ token }], async () => [
      await this.committer.release(token),
    ]);
    if (task) this.workAppeared();
    return task !== undefined;
  }

  /**
   * Applies a worker's reports about its leases: those it holds are written (one commit) and
   * the rest count as stale. Per report, the task after it, or undefined when stale. The
   * worker's slots stay taken until the commit, so the next tasks it gets start after these
   * ended; the pump then runs a loop turn later, so the results this commit pushes go first.
   */
  private async settle<R extends { token: number }>(
    slotId: string,
    reports: R[],
    write: (held: R[]) => Promise<(TaskRecord | undefined)[]>,
  ): Promise<(TaskRecord | undefined)[]> {
    const out: (TaskRecord | undefined)[] = reports.map(() => undefined);
    const heldAt = reports.flatMap((r, i) => (this.holder(slotId, r.token) ? [i] : []));
    if (heldAt.length === 0) return out;
    const held = heldAt.map((i) => reports[i]!);
    const state = this.slots.get(slotId);
    let tasks: (TaskRecord | undefined)[];
    try {
      tasks = await write(held);
    } finally {
      for (const r of held) {
        this.owners.delete(r.token);
        state?.inFlight.delete(r.token);
      }
      if (state && !this.exhausted.has(state.key)) this.wake();
    }
    tasks.forEach((task, j) => {
      if (!task) this.events.emit('lease:stale', held[j]!.token, slotId);
      out[heldAt[j]!] = task;
    });
    return out;
  }

  private holder(slotId: string, token: number): SlotState | undefined {
    const owner = this.owners.get(token);
    if (!owner || owner.state.slot.id !== slotId) {
      this.events.emit('lease:stale', token, slotId);
      return undefined;
    }
    return owner.state;
  }

  /** Stores a progress report; waiters see it. False when the lease is not this worker's. */
  async progress(slotId: string, token: number, fraction: number): Promise<boolean> {
    if (!this.holder(slotId, token)) return false;
    const taskId = this.owners.get(token)!.lease.taskId;
    const ok = await this.committer.progress(token, Math.min(1, Math.max(0, fraction)));
    if (ok && this.opts.isWatched(taskId)) {
      const task = await this.store.get(taskId);
      if (task) this.opts.onTaskChanged(task);
    }
    return ok;
  }

  /**
   * Schedules one pump. By default it runs on the next check phase, after this turn's
   * writes were queued, so one pump serves a whole turn. Right after a commit (`soon`) that
   * turn's writes are in already: the pump runs in a microtask, sparing a loop turn of
   * latency per task.
   */
  private wake(soon = false): void {
    if (this.pumpScheduled || this.closed) return;
    this.pumpScheduled = true;
    const run = () => {
      this.pumpScheduled = false;
      void this.pump();
    };
    if (soon) queueMicrotask(run);
    else setImmediate(run);
  }

  private async pump(): Promise<void> {
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.again = false;
        await this.pumpOnce();
      } while (this.again && !this.closed);
    } catch (error) {
      this.opts.onError(error, 'claiming tasks');
    } finally {
      this.pumping = false;
    }
  }

  private async pumpOnce(): Promise<void> {
    const n = this.order.length;
    const start = this.rr++ % Math.max(1, n);
    const wanted: { state: SlotState; free: number }[] = [];
    for (let i = 0; i < n; i++) {
      const state = this.order[(start + i) % n]!;
      const free = state.slot.concurrency - state.inFlight.size;
      // Refill a busy worker only once a quarter of its slots are free: fewer, larger claims
      // and assignments, while it still has three quarters of its work in hand.
      if (free < refillAt(state.slot.concurrency)) continue;
      if (state.slot.pull || this.exhausted.has(state.key)) continue;
      if (state.slot.ready?.() === false) continue;
      wanted.push({ state, free });
    }
    if (wanted.length === 0 || this.closed) return;
    const now = this.opts.now();
    const seen = this.workSeen;
    const requests = wanted.map(({ state, free }) => ({
      worker: state.slot.name,
      types: state.slot.types,
      limit: free,
      now,
      leaseMs: this.opts.leaseMs,
    }));
    // One transaction for every worker when the store can (SQLite); else one claim each.
    const results = this.store.claimMany
      ? await this.store.claimMany(requests)
      : await this.claimEach(wanted, requests);
    for (const [i, { state, free }] of wanted.entries()) {
      const leases = results[i] ?? [];
      if (leases.length < free && seen === this.workSeen) this.exhausted.add(state.key);
      if (leases.length === 0) continue;
      if (!this.slots.has(state.slot.id)) {
        // The worker left while the claim ran: the leases go straight back.
        await Promise.all(leases.map((l) => this.committer.release(l.token)));
        this.again = true;
        continue;
      }
      this.hold(state, leases);
      state.slot.assign(leases);
    }
  }

  /** Claims for each worker in turn, skipping type sets a previous claim found empty. */
  private async claimEach(
    wanted: { state: SlotState; free: number }[],
    requests: ClaimRequest[],
  ): Promise<Lease[][]> {
    const empty = new Set<string>();
    const results: Lease[][] = [];
    for (const [i, { state, free }] of wanted.entries()) {
      if (this.closed || empty.has(state.key)) {
        results.push([]);
        continue;
      }
      const leases = await this.store.claim(requests[i]!);
      if (leases.length < free) empty.add(state.key);
      results.push(leases);
    }
    return results;
  }

  /** Leases up to `limit` tasks for a pull worker, now; [] when nothing is ready. */
  async claimFor(slotId: string, limit: number, excludeTaskId?: number): Promise<Lease[]> {
    const state = this.slots.get(slotId);
    if (!state || this.closed) return [];
    const free = Math.min(limit, state.slot.concurrency - state.inFlight.size);
    if (free <= 0) return [];
    const leases = await this.store.claim({
      worker: state.slot.name,
      types: state.slot.types,
      limit: free,
      now: this.opts.now(),
      leaseMs: this.opts.leaseMs,
      ...(excludeTaskId === undefined ? {} : { excludeTaskId }),
    });
    if (!this.slots.has(slotId)) {
      await Promise.all(leases.map((l) => this.committer.release(l.token)));
      return [];
    }
    this.hold(state, leases);
    return leases;
  }

  /** Records leases as held by a worker. */
  private hold(state: SlotState, leases: Lease[]): void {
    for (const l of leases) {
      state.inFlight.add(l.token);
      this.owners.set(l.token, { state, lease: l });
      this.events.emit('task:leased', l.taskId, l.token, state.slot.name);
    }
    void this.announce(leases);
  }

  /** Tells waiters that their tasks started (a read only for watched tasks). */
  private async announce(leases: Lease[]): Promise<void> {
    for (const l of leases) {
      if (!this.opts.isWatched(l.taskId)) continue;
      const task = await this.store.get(l.taskId);
      if (task) this.opts.onTaskChanged(task);
    }
  }

  private scheduleRetry(at: number): void {
    if (at >= this.retryAt || this.closed) return;
    clearTimeout(this.retryTimer);
    this.retryAt = at;
    this.retryTimer = setTimeout(
      () => {
        this.retryAt = Number.POSITIVE_INFINITY;
        this.workAppeared();
        void this.store.nextRunAt(this.opts.now()).then(
          (next) => next !== undefined && this.scheduleRetry(next),
          (error: unknown) => this.opts.onError(error, 'reading retry times'),
        );
      },
      Math.max(0, at - this.opts.now()),
    );
  }

  /** Extends the leases of in-process workers and takes back expired ones. */
  private async sweep(): Promise<void> {
    try {
      const now = this.opts.now();
      const local = [...this.slots.values()]
        .filter((s) => s.slot.local)
        .flatMap((s) => [...s.inFlight]);
      if (local.length > 0) await this.store.extend(local, now + this.opts.leaseMs, now);
      const expired = await this.store.reclaimExpired(now);
      this.opts.onSweep?.();
      if (expired.length === 0) return;
      const byOwner = new Map<SlotState, number[]>();
      for (const e of expired) {
        this.events.emit('lease:expired', e.token, e.taskId, e.worker);
        const state = this.owners.get(e.token)?.state;
        if (!state) continue;
        this.owners.delete(e.token);
        state.inFlight.delete(e.token);
        byOwner.set(state, [...(byOwner.get(state) ?? []), e.token]);
      }
      for (const [state, tokens] of byOwner) state.slot.revoke(tokens, 'expired');
      this.workAppeared();
    } catch (error) {
      this.opts.onError(error, 'sweeping leases');
    }
  }
}
