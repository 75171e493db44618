/**
 * The leases handed out and not yet settled: which worker holds each token (a report is
 * accepted only from its holder), waiters told that their task started, and the one sweep
 * timer that extends the built-in executor's leases and takes back expired ones.
 */
import type { TypedEmitter } from '../../events/emitter.ts';
import type { Lease, Store, TaskRecord } from '../../store/types.ts';
import type { ServerEvents } from '../events.ts';
import type { AttemptTimeouts } from './timeouts.ts';
import type { RevokeReason, SlotState } from './worker-slot.ts';

export interface LeasesOptions {
  leaseMs: number;
  sweepMs: number;
  now: () => number;
  /** Whether anybody wants the updates of a running task (to skip reads nobody needs). */
  isWatched: (taskId: number) => boolean;
  /** A committed or observed change of a task somebody may be waiting on. */
  onTaskChanged: (task: TaskRecord) => void;
  onError: (error: unknown, context: string) => void;
  /** A sweep reached the store (the server's health check of the store). */
  onSweep?: () => void;
  /** A sweep took leases back: their tasks can run again. */
  onExpired: () => void;
  /** The attempt timeouts of the leases held (see timeouts.ts). */
  timeouts: AttemptTimeouts;
}

export class Leases {
  /** Every lease handed out and not yet settled: token → holder and lease. */
  private readonly owners = new Map<number, { state: SlotState; lease: Lease }>();
  /**
   * Leases whose report could not be stored (the store failed), each with the time by which
   * it has expired in the store: they keep their worker's slot, but nobody runs them any
   * more, so they are not extended; they expire and the sweep takes them back (the task
   * runs again). The store's answer may have been lost after all (the report, or the
   * reclaim, committed): then no reclaim returns them, and the sweep frees them by that time.
   */
  private readonly unreported = new Map<number, number>();
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Store,
    private readonly events: TypedEmitter<ServerEvents>,
    private readonly opts: LeasesOptions,
  ) {}

  /** Starts the sweep over the workers that `slots` returns. */
  startSweep(slots: () => Iterable<SlotState>): void {
    this.sweepTimer = setInterval(() => void this.sweep(slots()), this.opts.sweepMs);
  }

  stopSweep(): void {
    clearInterval(this.sweepTimer);
  }

  /** Records leases as held by a worker, and tells waiters that their tasks started. */
  hold(state: SlotState, leases: Lease[]): void {
    const told = this.events.listens('task:leased');
    const { timeouts } = this.opts;
    for (const l of leases) {
      state.inFlight.add(l.token);
      this.owners.set(l.token, { state, lease: l });
      timeouts.hold(l);
      if (told)
        this.events.emit('task:leased', {
          taskId: l.taskId,
          token: l.token,
          worker: state.slot.name,
          type: l.type,
          reps: l.reps,
          readyAt: l.readyAt,
        });
    }
    this.tell(leases, true).catch((e: unknown) =>
      this.opts.onError(e, 'telling waiters that their tasks started'),
    );
  }

  /** Whether worker `slotId` holds `token`. */
  holds(slotId: string, token: number): boolean {
    return this.owners.get(token)?.state.slot.id === slotId;
  }

  /** A report on `token` from `worker` was refused: it does not hold that lease (any more). */
  stale(token: number, worker: string): void {
    this.events.emit('lease:stale', { token, worker });
  }

  /** The lease behind a token still held. */
  lease(token: number): Lease | undefined {
    return this.owners.get(token)?.lease;
  }

  /**
   * The report on `token` was not stored (the write failed): the lease stays active in the
   * store, so it keeps its worker's slot (the next task is not handed out while the task
   * still shows as processing) until it expires and the sweep takes it back.
   */
  unstored(token: number): void {
    if (this.owners.has(token)) this.unreported.set(token, this.opts.now() + this.opts.leaseMs);
  }

  /** Whether worker `slotId` may extend `token`: it holds it, and its report did not fail. */
  extendable(slotId: string, token: number): boolean {
    return this.holds(slotId, token) && !this.unreported.has(token);
  }

  /** The token settled (reported, given back or revoked): nobody holds it any more. */
  settle(token: number): void {
    const owner = this.owners.get(token);
    if (!owner) return;
    this.unreported.delete(token);
    this.owners.delete(token);
    this.opts.timeouts.settle(token);
    owner.state.inFlight.delete(token);
    owner.state.reporting.delete(token);
  }

  /**
   * Takes these leases from the workers here that hold them (a cancel ended them, or their
   * timeout passed): each worker is told to stop them. Tokens held elsewhere are skipped.
   * Returns the leases taken.
   */
  revoke(tokens: readonly number[], reason: RevokeReason): Lease[] {
    const byOwner = new Map<SlotState, number[]>();
    const taken: Lease[] = [];
    for (const t of tokens) {
      const owner = this.owners.get(t);
      if (!owner) continue;
      this.settle(t);
      taken.push(owner.lease);
      byOwner.set(owner.state, [...(byOwner.get(owner.state) ?? []), t]);
    }
    for (const [state, held] of byOwner) state.slot.revoke(held, reason);
    return taken;
  }

  /** Forgets every lease of a worker that left; returns their tokens, to give back. */
  dropAll(state: SlotState): number[] {
    const tokens = [...state.inFlight];
    state.inFlight.clear();
    state.reporting.clear();
    for (const t of tokens) {
      this.owners.delete(t);
      this.unreported.delete(t);
      this.opts.timeouts.settle(t);
    }
    return tokens;
  }

  /**
   * Frees the slots of unreported leases that expired in the store by `now` (called after a
   * reclaim of `now` succeeded, so none is still active there: that reclaim took it back,
   * or an earlier one, or the report was stored and its answer lost). Their waiters are told
   * the task's state (it may be done). True when some were freed; a rare path (after the
   * store failed), so every such task is read.
   */
  private freeUnreported(now: number): boolean {
    const gone: Lease[] = [];
    for (const [token, expiredBy] of this.unreported) {
      if (expiredBy >= now) continue;
      const lease = this.owners.get(token)?.lease;
      this.settle(token);
      if (lease) gone.push(lease);
    }
    if (gone.length === 0) return false;
    this.tell(gone, false).catch((e: unknown) =>
      this.opts.onError(e, 'telling waiters of a lost report'),
    );
    return true;
  }

  /**
   * Tells the waiters of these tasks their state: with `watchedOnly`, a read only for tasks
   * whose updates someone wants (a start); otherwise for every one (it may have ended).
   */
  private async tell(tasks: readonly { taskId: number }[], watchedOnly: boolean): Promise<void> {
    for (const { taskId } of tasks) {
      if (watchedOnly && !this.opts.isWatched(taskId)) continue;
      const task = await this.store.get(taskId);
      if (task) this.opts.onTaskChanged(task);
    }
  }

  /** Extends the leases of in-process workers and takes back expired ones. */
  private async sweep(slots: Iterable<SlotState>): Promise<void> {
    try {
      const now = this.opts.now();
      const local: number[] = [];
      for (const s of slots) {
        if (!s.slot.local) continue;
        for (const t of s.inFlight) if (!this.unreported.has(t)) local.push(t);
      }
      if (local.length > 0) await this.store.extend(local, now + this.opts.leaseMs, now);
      const expired = await this.store.reclaimExpired(now);
      this.opts.onSweep?.();
      const freed = this.freeUnreported(now);
      if (expired.length === 0 && !freed) return;
      const byOwner = new Map<SlotState, number[]>();
      for (const e of expired) {
        this.events.emit('lease:expired', { token: e.token, taskId: e.taskId, worker: e.worker });
        const state = this.owners.get(e.token)?.state;
        if (!state) continue;
        // Its worker finished it already (its report was lost): nothing to revoke.
        const finished = this.unreported.has(e.token);
        this.settle(e.token);
        if (!finished) byOwner.set(state, [...(byOwner.get(state) ?? []), e.token]);
      }
      for (const [state, tokens] of byOwner) state.slot.revoke(tokens, 'expired');
      this.opts.onExpired();
    } catch (error) {
      this.opts.onError(error, 'sweeping leases');
    }
  }
}
