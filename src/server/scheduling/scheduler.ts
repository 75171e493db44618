/**
 * The scheduler hands tasks to workers. Each worker (the built-in executor or a remote
 * connection) declares its types and how many tasks it runs at once; the scheduler claims
 * at most that many leases from the store for it (credit-based: never more in flight than
 * declared), round-robin across workers. It wakes on events (a submit, a freed slot, a
 * lease given back, a retry coming due), never on a polling loop.
 *
 * With a store that claims inside a write (SQLite), the claims ride in the committer's
 * batches: planned as a batch is about to be written, applied after its submits and
 * reports in the same transaction, so a task submitted in that turn is leased by the same
 * commit (batch-claims.ts). A store whose claims can run beside a write (PostgreSQL) has a
 * pump as well (claim-pump.ts): a busy server's large batches leave their claims to it, and
 * it claims for each worker in turn on another connection while the next batch is written.
 * Leases held are tracked in leases.ts (their timeouts in timeouts.ts); retries and delayed
 * tasks come due in due-tasks.ts; paused types are left out of claims (ready-types.ts).
 */
import type { TypedEmitter } from '../../events/emitter.ts';
import { isTerminal, type Json } from '../../model/tasks.ts';
import type {
  ClaimOutcome,
  Completion,
  Lease,
  NewTask,
  Store,
  TaskRecord,
  TaskState,
  WriteBatch,
  WriteOutcome,
} from '../../store/types.ts';
import type { CommitListener, Committer } from '../committer.ts';
import type { ServerEvents } from '../events.ts';
import { BatchClaims } from './batch-claims.ts';
import { ClaimPump } from './claim-pump.ts';
import { DueTasks } from './due-tasks.ts';
import { Leases } from './leases.ts';
import { ReadyTypes } from './ready-types.ts';
import { AttemptTimeouts, failTimedOut } from './timeouts.ts';
import {
  type RevokeReason,
  type SlotState,
  slotState,
  type Want,
  type WorkerSlot,
  wantedClaims,
} from './worker-slot.ts';

export type { WorkerSlot } from './worker-slot.ts';

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
  /** Per task type, the attempt timeout (ms) of tasks without one of their own. */
  taskTimeouts?: ReadonlyMap<string, number>;
}

export class Scheduler implements CommitListener {
  private readonly slots = new Map<string, SlotState>();
  private readonly ready = new ReadyTypes();
  private readonly leases: Leases;
  private readonly timeouts: AttemptTimeouts;
  /** Retries and delayed tasks coming due (one timer). */
  readonly due: DueTasks;
  /** Claims outside writes (PostgreSQL); undefined when claims ride in the batches. */
  private readonly pump: ClaimPump | undefined;
  /**
   * Counts `workAppeared` calls, for the pump (see ClaimPump). Claims planned into a batch
   * need no such check: the batch's own submits are in their transaction, and later ones
   * commit after them.
   */
  workSeen = 0;
  private order: SlotState[] = [];
  private rr = 0;
  closed = false;

  constructor(
    private readonly store: Store,
    private readonly committer: Committer,
    events: TypedEmitter<ServerEvents>,
    private readonly opts: SchedulerOptions,
  ) {
    this.timeouts = new AttemptTimeouts({
      now: opts.now,
      defaults: opts.taskTimeouts ?? new Map(),
      expire: (tokens) =>
        void failTimedOut(this.leases.revoke(tokens, 'timeout'), {
          committer,
          retryAt: (n) => this.retryAt(n),
          dueAt: (at) => this.due.dueAt(at),
          wake: () => this.wake(),
          onError: opts.onError,
        }),
    });
    this.leases = new Leases(store, events, {
      ...opts,
      timeouts: this.timeouts,
      onExpired: () => this.workAppeared(),
    });
    this.due = new DueTasks(store, {
      ...opts,
      wake: (types) => this.workAppeared(types, true),
      onEnqueued: (tasks) => {
        if (events.listens('task:due')) events.emit('task:due', { tasks });
      },
    });
    const { claimsInWrite, claimsBesideWrites } = store.capabilities;
    if (claimsInWrite) {
      const besidePump = claimsBesideWrites;
      committer.planClaims(
        new BatchClaims(this, this.ready, { besidePump, onError: opts.onError }),
      );
    }
    committer.knowLeases((token) => this.leases.lease(token));
    if (!claimsInWrite || claimsBesideWrites) this.pump = new ClaimPump(store, this, opts);
  }

  async start(): Promise<void> {
    this.leases.startSweep(() => this.slots.values());
    await this.due.start();
    this.wake();
  }

  /** Stops claiming; leases already handed out stay with their workers. */
  stop(): void {
    this.closed = true;
    this.timeouts.stop();
    this.leases.stopSweep();
    this.due.stop();
  }

  addWorker(slot: WorkerSlot): void {
    this.slots.set(slot.id, slotState(slot, this.opts.now()));
    this.order = [...this.slots.values()];
    this.ready.addWorker(slot.types);
    this.wake();
  }

  /** Removes a worker and gives its leases back at once (never rejects: see onError). */
  async removeWorker(id: string): Promise<void> {
    const state = this.slots.get(id);
    if (!state) return;
    this.slots.delete(id);
    this.order = [...this.slots.values()];
    this.ready.removeWorker(state.slot.types);
    const tokens = this.leases.dropAll(state);
    try {
      await Promise.all(tokens.map((t) => this.committer.release(t)));
    } catch (error) {
      // The store refused (it is down, or closing): the leases stay active in it until they
      // expire, and the sweep then takes them back. Nothing is lost.
      this.opts.onError(error, 'giving back the leases of a worker that left');
    }
    if (tokens.length > 0) this.workAppeared(state.slot.types);
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
   * New tasks of these types (of any type when not given) may be ready: a submit committed,
   * a lease came back. `committed`: called right after a commit, so a pump can run at once
   * instead of a turn later.
   */
  workAppeared(types?: Iterable<string>, committed = false): void {
    this.ready.appeared(types);
    this.workSeen += 1;
    this.wake(committed);
  }

  /**
   * These tasks were just committed. With claims in writes their own batch's claims already
   * saw them (plan clears the types' exhaustion first), so only a pump needs waking.
   */
  submitted(tasks: readonly NewTask[]): void {
    if (!this.pump) return;
    this.workAppeared(
      tasks.map((t) => t.type),
      true,
    );
  }

  /** CommitListener: a batch committed (a cancel of a running task revokes its leases). */
  committed(batch: WriteBatch, outcome: WriteOutcome): void {
    for (const c of outcome.cancels) if (c.ok && c.revoked.length > 0) this.revoke(c.revoked);
    if (batch.submits.length === 0) return;
    this.submitted(batch.submits);
    this.due.committed(batch);
  }

  /** A worker can take tasks again (its socket drained). */
  workerReady(): void {
    this.wake();
  }

  /** Records a completion by the worker holding the lease. False when the lease is stale. */
  async complete(slotId: string, token: number, result: Json | undefined, units = 1) {
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
    const shortOfReps = new Set<string>();
    for (const task of tasks) {
      if (!task) continue;
      if (state) state.done += 1;
      // A multi-unit task that came back short of its reps can be leased again.
      if (!isTerminal(task.status) && task.unitsDone + task.unitsLeased < task.reps) {
        shortOfReps.add(task.type);
      }
    }
    if (shortOfReps.size > 0) this.workAppeared(shortOfReps, true);
    return tasks.map((task) => task !== undefined);
  }

  /** When attempt `n`, failed now, may be retried: exponential backoff. */
  private retryAt(n: number): number {
    const { retryBaseMs, retryMaxMs } = this.opts;
    return this.opts.now() + Math.min(retryBaseMs * 2 ** Math.max(0, n - 1), retryMaxMs);
  }

  /** Records a failed attempt; the task is retried later or marked failed. */
  async fail(slotId: string, token: number, error: string): Promise<boolean> {
    const retryAt = this.retryAt(this.leases.lease(token)?.attempt ?? 1);
    const [task] = await this.settle(slotId, [{ token }], async () => [
      await this.committer.fail({ token, error, retryAt }),
    ]);
    if (task && task.status !== 'failed') this.due.dueAt(retryAt);
    return task !== undefined;
  }

  /** Takes leases held here from their workers (a cancel ended them), freeing their slots. */
  revoke(tokens: readonly number[], reason: RevokeReason = 'canceled'): void {
    if (this.leases.revoke(tokens, reason).length > 0) this.wake();
  }

  /** Paused types get no claims (tasks running finish); resumed ones may have work. */
  setPaused(types: ReadonlySet<string>): void {
    const resumed = this.ready.setPaused(types);
    if (resumed.length > 0) this.workAppeared(resumed);
  }

  /**
   * Moves the deadline of this worker's leases (heartbeat); false for tokens it does not
   * hold, and for those whose report failed (they are left to expire: see Leases).
   */
  async extend(slotId: string, tokens: number[]): Promise<boolean[]> {
    const held = tokens.filter((t) => this.leases.extendable(slotId, t));
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
    if (task) this.workAppeared([task.type]);
    return task !== undefined;
  }

  /** Stores a progress report; waiters see it. False when the lease is not this worker's. */
  async progress(slotId: string, token: number, fraction: number): Promise<boolean> {
    if (!this.leases.holds(slotId, token)) {
      this.leases.stale(token, slotId);
      return false;
    }
    const taskId = this.leases.lease(token)!.taskId;
    const ok = await this.committer.progress(token, Math.min(1, Math.max(0, fraction)));
    if (ok && this.opts.isWatched(taskId)) {
      const task = await this.store.get(taskId);
      if (task) this.opts.onTaskChanged(task);
    }
    return ok;
  }

  /**
   * Applies a worker's reports about its leases: those it holds are written (one commit) and
   * the rest count as stale. Per report, the task after it, or undefined when stale. The
   * next tasks the worker gets start after these ended: with claims in writes, its claim
   * goes in the same batch, after the reports; otherwise its slots stay taken until the
   * commit and the pump runs a loop turn later, so the results this commit pushes go first.
   */
  private async settle<R extends { token: number }>(
    slotId: string,
    reports: R[],
    write: (held: R[]) => Promise<(TaskState | undefined)[]>,
  ): Promise<(TaskState | undefined)[]> {
    const out: (TaskState | undefined)[] = reports.map(() => undefined);
    const heldAt: number[] = [];
    reports.forEach((r, i) => {
      if (this.leases.holds(slotId, r.token)) heldAt.push(i);
      else this.leases.stale(r.token, slotId);
    });
    if (heldAt.length === 0) return out;
    const held = heldAt.map((i) => reports[i]!);
    const state = this.slots.get(slotId);
    let tasks: (TaskState | undefined)[] | undefined;
    try {
      const written = write(held);
      if (state && this.store.capabilities.claimsInWrite) {
        for (const r of held) state.reporting.add(r.token);
      }
      tasks = await written;
    } finally {
      for (const r of held) {
        state?.reporting.delete(r.token);
        // A report that was not stored leaves its lease active: its slot stays taken until
        // the lease expires, so the next task is not handed out while this one still shows
        // as processing (with concurrency 1, status would show two).
        if (tasks) this.leases.settle(r.token);
        else this.leases.unstored(r.token);
      }
      if (tasks && state && this.ready.any(state.slot.types)) this.wake();
    }
    // Only reached when the write succeeded (a failure rejected above).
    tasks!.forEach((task, j) => {
      if (!task) this.leases.stale(held[j]!.token, slotId);
      out[heldAt[j]!] = task;
    });
    return out;
  }

  /**
   * Gets claims going. With claims in writes: asks the committer for a batch soon (a freed
   * slot may have nothing else to write). Otherwise wakes the pump.
   */
  private wake(soon = false): void {
    if (this.closed) return;
    if (this.pump) this.pump.wake(soon);
    else this.committer.touch();
  }

  /** The workers to claim for now (see `wantedClaims`), round-robin from a new start. */
  wanted(now: number, inBatch = false): Want[] {
    const start = this.rr++ % Math.max(1, this.order.length);
    const claimable = (t: readonly string[]) => this.ready.claimable(t);
    return wantedClaims(this.order, start, claimable, now, this.opts.leaseMs, inBatch);
  }

  /**
   * Gives each worker its leases, and marks the types of a claim that found no more ready
   * as exhausted (`exhaust`: no work appeared since the claims were made).
   */
  async deliver(wanted: Want[], outcomes: ClaimOutcome[], exhaust: boolean): Promise<void> {
    for (const [i, { state, request }] of wanted.entries()) {
      state.claiming -= request.limit;
      const { leases, more } = outcomes[i] ?? { leases: [], more: true };
      if (!more && exhaust) this.ready.exhaust(request.types);
      if (leases.length === 0) continue;
      if (!this.slots.has(state.slot.id)) {
        // The worker left while the claim ran: the leases go straight back.
        await Promise.all(leases.map((l) => this.committer.release(l.token)));
        this.workAppeared(request.types);
        continue;
      }
      this.leases.hold(state, leases);
      state.slot.assign(leases);
    }
  }

  /** Leases up to `limit` tasks for a pull worker, now; [] when nothing is ready. */
  async claimFor(slotId: string, limit: number, excludeTaskId?: number): Promise<Lease[]> {
    const state = this.slots.get(slotId);
    if (!state || this.closed) return [];
    const free = Math.min(limit, state.slot.concurrency - state.inFlight.size);
    if (free <= 0) return [];
    const types = this.ready.unpaused(state.slot.types);
    if (types.length === 0) return [];
    const leases = await this.store.claim({
      worker: state.slot.name,
      types,
      limit: free,
      now: this.opts.now(),
      leaseMs: this.opts.leaseMs,
      ...(excludeTaskId === undefined ? {} : { excludeTaskId }),
    });
    if (!this.slots.has(slotId)) {
      await Promise.all(leases.map((l) => this.committer.release(l.token)));
      return [];
    }
    this.leases.hold(state, leases);
    return leases;
  }
}
