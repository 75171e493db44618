/**
 * Claims in the committer's batches, for a store that applies them in the write's
 * transaction (`capabilities.claimsInWrite`): planned as a batch is about to be written,
 * applied after its submits and reports, handed out once it commits. A task submitted in
 * that turn is leased by the same commit, and a worker's next tasks ride with its report.
 */
import type { ClaimOutcome, ClaimRequest, WriteBatch } from '../../store/types.ts';
import type { ClaimPlanner } from '../committer.ts';
import type { ReadyTypes } from './ready-types.ts';
import type { Want } from './worker-slot.ts';

/**
 * With a pump beside the committer (a store whose claims run on connections of their own,
 * beside the write in flight: PostgreSQL), a batch of at most this many submits and reports
 * carries the claims too: a quiet server's task is then submitted and leased by one commit
 * (and a worker's next task rides with its report), sparing a transaction and a round trip
 * per task. A busy server's batches are larger: their claims go through the pump, so the one
 * write in flight, which every acknowledgement waits for, is not lengthened by them, and
 * the database runs the claims beside it.
 */
export const QUIET_BATCH_ITEMS = 8;

function batchItems(b: WriteBatch): number {
  return b.submits.length + b.completions.length + b.failures.length + b.releases.length;
}

/** What the planner asks of the scheduler. */
export interface BatchClaimsHost {
  readonly closed: boolean;
  /** Counts the work that appeared (see Scheduler.workSeen). */
  readonly workSeen: number;
  wanted(now: number, inBatch: boolean): Want[];
  deliver(wanted: Want[], outcomes: ClaimOutcome[], exhaust: boolean): Promise<void>;
}

export interface BatchClaimsOptions {
  /** A claim pump runs beside the committer: only small batches carry claims. */
  besidePump: boolean;
  onError: (error: unknown, context: string) => void;
}

export class BatchClaims implements ClaimPlanner {
  /** The claims of the batch being written, and workSeen when they were planned. */
  private planned: Want[] = [];
  private plannedSeen = 0;

  constructor(
    private readonly host: BatchClaimsHost,
    private readonly ready: ReadyTypes,
    private readonly opts: BatchClaimsOptions,
  ) {}

  /** The claims to apply with a batch about to be written. */
  plan(batch: WriteBatch): ClaimRequest[] {
    if (this.host.closed) return [];
    // The batch's submits and releases come before its claims in the transaction.
    if (batch.releases.length > 0) this.ready.appeared();
    if (batch.submits.length > 0) this.ready.appeared(batch.submits.map((t) => t.type));
    // Most batches of an idle or drained queue: no worker to look at (there may be 10,000).
    if (this.ready.none) return [];
    if (this.opts.besidePump && batchItems(batch) > QUIET_BATCH_ITEMS) return [];
    this.planned = this.host.wanted(batch.now, true);
    this.plannedSeen = this.host.workSeen;
    return this.planned.map((w) => w.request);
  }

  /** Hands out what the batch's claims got. */
  claimed(outcomes: ClaimOutcome[] | undefined): void {
    const planned = this.planned;
    this.planned = [];
    // A failed batch leased nothing (its slots are free again); the store's recovery wakes
    // the scheduler again. A short claim marks its types exhausted only if no work appeared
    // while the batch was written: another server's submit committed meanwhile may be one
    // the claim did not see.
    const exhaust = outcomes !== undefined && this.plannedSeen === this.host.workSeen;
    this.host
      .deliver(planned, outcomes ?? [], exhaust)
      .catch((e: unknown) => this.opts.onError(e, 'giving back leases of a worker that left'));
  }
}
