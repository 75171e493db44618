/**
 * The scheduler hands tasks to workers. Each worker (the built-in executor or a remote
 * connection) declares its types and how many tasks it runs at once; the scheduler claims
 * at most that many leases from the store for it (credit-based: never more in flight than
 * declared), round-robin across workers. It wakes on events (a submit, a freed slot, a
 * lease given back, a retry coming due), never on a polling loop; a single sweep timer
 * takes back expired leases.
 *
 * With a store that claims inside a write (SQLite), the claims ride in the committer's
 * batches: planned as a batch is about to be written, applied after its submits and
 * reports in the same transaction, so a task submitted in that turn is leased by the same
 * commit. Otherwise (PostgreSQL) a pump claims for each worker in turn.
 */

import type { TypedEmitter } from '../events/emitter.ts';
import { isTerminal, type Json } from '../model/tasks.ts';
import type {
  ClaimOutcome,
  ClaimRequest,
  Completion,
  Lease,
  NewTask,
  Store,
  TaskRecord,
  TaskState,
  WriteBatch,
} from '../store/types.ts';
import type { ClaimPlanner, Committer } from './committer.ts';
import type { ServerEvents } from './events.ts';
import { ReadyTypes } from './ready-types.ts';

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
  inFlight: Set<number>;
  /**
   * Reports on this worker's leases waiting in the committer's next batch (claims in
   * writes): the slots they free count as free for that batch's claims, which the
   * transaction applies after the reports.
   */
  reporting: Set<number>;
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

/** A worker that gets a claim now, and the claim. */
interface Want {
  state: SlotState;
  request: ClaimRequest;
}

export class Scheduler implements ClaimPlanner {
  private readonly slots = new Map<string, SlotState>();
  /** Every lease handed out and not yet settled: token → holder and task. */
  private readonly owners = new Map<number, { state: SlotState; lease: Lease }>();
  private readonly ready = new ReadyTypes();
  /**
   * Counts `workAppeared` calls. A pump's claim that came back short marks its types
   * exhausted only if no work appeared while it ran: with a store that answers
   * asynchronously, a submit committed during the claim would otherwise be forgotten (a
   * lost wake-up). Claims planned into a batch need no such check: the batch's own submits
   * are in their transaction, and later ones commit after them.
   */
  private workSeen = 0;
  /** The claims of the batch being written (claims in writes). */
  private planned: Want[] = [];
  private readonly inWrites: boolean;
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
  ) {
    this.inWrites = store.capabilities.claimsInWrite;
    if (this.inWrites) committer.planClaims(this);
  }

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
      inFlight: new Set(),
      reporting: new Set(),
      done: 0,
      since: this.opts.now(),
    };
    this.slots.set(slot.id, state);
    this.order = [...this.slots.values()];
    this.ready.addWorker(slot.types);
    this.wake();
  }

  /**
   * Removes a worker and gives its leases back to the queue at once. Never rejects: leases
   * the store refuses to take back expire instead (reported through `onError`).
   */
  async removeWorker(id: string): Promise<void> {
    const state = this.slots.get(id);
    if (!state) return;
    this.slots.delete(id);
    this.order = [...this.slots.values()];
    this.ready.removeWorker(state.slot.types);
    const tokens = [...state.inFlight];
    state.inFlight.clear();
    for (const t of tokens) this.owners.delete(t);
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
   * These tasks were just committed. With claims in writes their own batch's
   * claims already saw them (plan clears the types' exhaustion first), so only a pump needs
   * waking.
   */
  submitted(tasks: readonly NewTask[]): void {
    if (!this.inWrites)
      this.workAppeared(
        tasks.map((t) => t.type),
        true,
      );
  }

  /** A worker can take tasks again (its socket drained). */
  workerReady(): void {
    this.wake();
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
    if (task) this.workAppeared([task.type]);
    return task !== undefined;
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
    const heldAt = reports.flatMap((r, i) => (this.holder(slotId, r.token) ? [i] : []));
    if (heldAt.length === 0) return out;
    const held = heldAt.map((i) => reports[i]!);
    const state = this.slots.get(slotId);
    let tasks: (TaskState | undefined)[];
    try {
      const written = write(held);
      if (state && this.inWrites) for (const r of held) state.reporting.add(r.token);
      tasks = await written;
    } finally {
      for (const r of held) {
        this.owners.delete(r.token);
        state?.inFlight.delete(r.token);
        state?.reporting.delete(r.token);
      }
      if (state && this.ready.any(state.slot.types)) this.wake();
    }
    tasks.forEach((task, j) => {
      if (!task) this.events.emit('lease:stale', { token: held[j]!.token, worker: slotId });
      out[heldAt[j]!] = task;
    });
    return out;
  }

  private holder(slotId: string, token: number): SlotState | undefined {
    const owner = this.owners.get(token);
    if (!owner || owner.state.slot.id !== slotId) {
      this.events.emit('lease:stale', { token, worker: slotId });
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
   * Gets claims going. With claims in writes: asks the committer for a batch soon (a freed
   * slot may have nothing else to write). Otherwise schedules one pump, on the next check
   * phase by default, after this turn's writes were queued, so one pump serves a whole turn;
   * right after a commit (`soon`) that turn's writes are in already: the pump runs in a
   * microtask, sparing a loop turn of latency per task.
   */
  private wake(soon = false): void {
    if (this.closed) return;
    if (this.inWrites) {
      this.committer.touch();
      return;
    }
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    const run = () => {
      this.pumpScheduled = false;
      void this.pump();
    };
    if (soon) queueMicrotask(run);
    else setImmediate(run);
  }

  /**
   * The workers to claim for now, round-robin from a new start each time: those with at
   * least a quarter of their slots free (fewer, larger claims and assignments, while a busy
   * worker still has three quarters of its work in hand), ready, and running a type not
   * known to be exhausted; each claim asks only for those types.
   */
  private wanted(now: number): Want[] {
    const n = this.order.length;
    const start = this.rr++ % Math.max(1, n);
    const wanted: Want[] = [];
    for (let i = 0; i < n; i++) {
      const state = this.order[(start + i) % n]!;
      const { slot } = state;
      let reported = 0;
      if (state.reporting.size > 0) {
        for (const t of state.reporting) if (state.inFlight.has(t)) reported += 1;
        state.reporting.clear();
      }
      const free = slot.concurrency - state.inFlight.size + reported;
      if (free < refillAt(slot.concurrency) || slot.pull || slot.ready?.() === false) continue;
      const types = this.ready.claimable(slot.types);
      if (types.length === 0) continue;
      wanted.push({
        state,
        request: { worker: slot.name, types, limit: free, now, leaseMs: this.opts.leaseMs },
      });
    }
    return wanted;
  }

  /** ClaimPlanner: the claims to apply with a batch about to be written. */
  plan(batch: WriteBatch): ClaimRequest[] {
    if (this.closed) return [];
    // The batch's submits and releases come before its claims in the transaction.
    if (batch.releases.length > 0) this.ready.appeared();
    if (batch.submits.length > 0) this.ready.appeared(batch.submits.map((t) => t.type));
    // Most batches of an idle or drained queue: no worker to look at (there may be 10,000).
    if (this.ready.none) return [];
    this.planned = this.wanted(batch.now);
    return this.planned.map((w) => w.request);
  }

  /** ClaimPlanner: hands out what the batch's claims got. */
  claimed(outcomes: ClaimOutcome[] | undefined): void {
    const planned = this.planned;
    this.planned = [];
    // A failed batch leased nothing; the store's recovery wakes the scheduler again.
    if (outcomes) {
      this.deliver(planned, outcomes, true).catch((e: unknown) =>
        this.opts.onError(e, 'giving back leases of a worker that left'),
      );
    }
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
        const wanted = this.closed ? [] : this.wanted(this.opts.now());
        if (wanted.length === 0) break;
        const seen = this.workSeen;
        const outcomes = await this.claimEach(wanted);
        await this.deliver(wanted, outcomes, seen === this.workSeen);
      } while (this.again && !this.closed);
    } catch (error) {
      this.opts.onError(error, 'claiming tasks');
    } finally {
      this.pumping = false;
    }
  }

  /**
   * Gives each worker its leases, and marks the types of a claim that found no more ready
   * as exhausted (`exhaust`: no work appeared since the claims were made).
   */
  private async deliver(wanted: Want[], outcomes: ClaimOutcome[], exhaust: boolean) {
    for (const [i, { state, request }] of wanted.entries()) {
      const { leases, more } = outcomes[i] ?? { leases: [], more: true };
      if (!more && exhaust) this.ready.exhaust(request.types);
      if (leases.length === 0) continue;
      if (!this.slots.has(state.slot.id)) {
        // The worker left while the claim ran: the leases go straight back.
        await Promise.all(leases.map((l) => this.committer.release(l.token)));
        this.workAppeared(request.types);
        continue;
      }
      this.hold(state, leases);
      state.slot.assign(leases);
    }
  }

  /**
   * Claims for each worker in turn (one transaction each), leaving out the types an earlier
   * claim of this pump found exhausted. Such a store does not say whether more tasks are
   * ready: a claim that got all it asked for assumes so.
   */
  private async claimEach(wanted: Want[]): Promise<ClaimOutcome[]> {
    const empty = new Set<string>();
    const outcomes: ClaimOutcome[] = [];
    for (const { request } of wanted) {
      const types = request.types.filter((t) => !empty.has(t));
      if (this.closed || types.length === 0) {
        outcomes.push({ leases: [], more: false });
        continue;
      }
      const leases = await this.store.claim({ ...request, types });
      const more = leases.length === request.limit;
      if (!more) for (const t of types) empty.add(t);
      outcomes.push({ leases, more });
    }
    return outcomes;
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
    const leased = this.events.listens('task:leased');
    for (const l of leases) {
      state.inFlight.add(l.token);
      this.owners.set(l.token, { state, lease: l });
      if (leased)
        this.events.emit('task:leased', {
          taskId: l.taskId,
          token: l.token,
          worker: state.slot.name,
        });
    }
    this.announce(leases).catch((e: unknown) =>
      this.opts.onError(e, 'telling waiters that their tasks started'),
    );
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
        this.events.emit('lease:expired', { token: e.token, taskId: e.taskId, worker: e.worker });
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
