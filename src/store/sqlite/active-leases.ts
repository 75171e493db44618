/**
 * The SQLite store's active leases, held in memory. One server process owns the file, and
 * its leases end with it (a new process releases what the old one held), so an active lease
 * is never written: its attempt is written once, when it ends (see attempt-insert.sql). What
 * this saves per task is a lease row inserted at claim and rewritten at the report, with
 * its two index entries (a quarter of the store's work per task).
 *
 * Changes made inside a transaction are journaled, and `rollback` puts the table back as it
 * was at `begin`, so the memory never holds a lease whose transaction did not commit, nor
 * misses one whose report was rolled back.
 */
import type { AttemptRecord } from '../types.ts';

/** An attempt in progress: what its row will hold once it ends. */
export interface ActiveLease {
  token: number;
  taskId: number;
  /** The task's attempt number, from 1. */
  n: number;
  worker: string;
  deadline: number;
  startedAt: number;
  /** The task's type, units and last error when it was leased (see `complete`). */
  type: string;
  reps: number;
  error: string | null;
}

/** A change to undo: the token, and the lease it had before (undefined when none). */
interface Undo {
  token: number;
  before: ActiveLease | undefined;
}

export class ActiveLeases {
  private readonly byToken = new Map<number, ActiveLease>();
  private journal: Undo[] | undefined;

  /** How many leases are active. */
  get size(): number {
    return this.byToken.size;
  }

  /** Starts journaling the changes of one transaction. */
  begin(): void {
    if (this.journal !== undefined) throw new Error('active leases: a transaction is open');
    this.journal = [];
  }

  /** Keeps the transaction's changes. */
  commit(): void {
    this.journal = undefined;
  }

  /** Undoes the transaction's changes, newest first. */
  rollback(): void {
    const journal = this.journal ?? [];
    this.journal = undefined;
    for (let i = journal.length - 1; i >= 0; i--) {
      const { token, before } = journal[i]!;
      if (before === undefined) this.byToken.delete(token);
      else this.byToken.set(token, before);
    }
  }

  /** Records a new lease. */
  add(lease: ActiveLease): void {
    this.journal?.push({ token: lease.token, before: this.byToken.get(lease.token) });
    this.byToken.set(lease.token, lease);
  }

  /** The active lease of a token; undefined when the token is stale or unknown. */
  get(token: number): ActiveLease | undefined {
    return this.byToken.get(token);
  }

  /** Ends a lease: removes and returns it; undefined when the token is stale or unknown. */
  take(token: number): ActiveLease | undefined {
    const lease = this.byToken.get(token);
    if (lease === undefined) return undefined;
    this.journal?.push({ token, before: lease });
    this.byToken.delete(token);
    return lease;
  }

  /**
   * Moves a lease's deadline; false when the token is not active. Not journaled: no
   * transaction is needed, as nothing of it is stored.
   */
  extend(token: number, deadline: number): boolean {
    const lease = this.byToken.get(token);
    if (lease === undefined) return false;
    lease.deadline = deadline;
    return true;
  }

  /** The leases whose deadline is before `now`, in token order. */
  expired(now: number): ActiveLease[] {
    const out: ActiveLease[] = [];
    for (const lease of this.byToken.values()) if (lease.deadline < now) out.push(lease);
    return out.sort((a, b) => a.token - b.token);
  }

  /** Every active lease, in token order. */
  all(): ActiveLease[] {
    return [...this.byToken.values()].sort((a, b) => a.token - b.token);
  }

  /**
   * The active attempts of one task, as attempt records. A scan of the active leases: the
   * attempt log is read rarely, and an index by task would cost every claim.
   */
  ofTask(taskId: number): AttemptRecord[] {
    const out: AttemptRecord[] = [];
    for (const l of this.byToken.values()) {
      if (l.taskId !== taskId) continue;
      out.push({
        token: l.token,
        taskId,
        n: l.n,
        worker: l.worker,
        state: 'active',
        deadline: l.deadline,
        startedAt: l.startedAt,
        endedAt: null,
        units: null,
        error: null,
      });
    }
    return out;
  }
}
