/**
 * A write batch: what the server's committer hands the store in one `write` (one
 * transaction), and what it did.
 */
import type { Json, TaskStatus } from '../model/tasks.ts';
import type { ClaimRequest, Lease, NewTask, TaskRecord, TaskState } from './types.ts';

export interface Completion {
  token: number;
  result: Json | undefined;
  units: number;
}

export interface Failure {
  token: number;
  error: string;
  /** When the task may be retried, if it has attempts left. */
  retryAt: number;
  /** Why the server failed it (not the worker): its timeout passed. For the metrics only. */
  reason?: 'timeout';
}

/**
 * Writes applied together in one transaction (group commit). The server gathers what one
 * event-loop turn produced and hands it over in one call.
 */
export interface WriteBatch {
  now: number;
  submits: NewTask[];
  completions: Completion[];
  failures: Failure[];
  /** Leases given back without a verdict (worker gone, shutdown): the task runs again. */
  releases: number[];
  cancels: number[];
  progress: { token: number; progress: number }[];
  /**
   * Claims applied after every other write of the batch, in order, in the same transaction
   * (only for a store with `capabilities.claimsInWrite`): a task submitted in the batch can
   * be leased by it, so a submit and its lease cost one commit.
   */
  claims: ClaimRequest[];
  /**
   * Reports on which tasks come back as whole records (see TaskState); every one when
   * left out.
   */
  full?: (taskId: number) => boolean;
  /**
   * The task of each lease the server holds, as far as it knows (its claim leased it): a
   * store may write the reports on these tokens without reading first which task each one
   * is on (PostgreSQL: one round trip less per batch). A token it does not know is looked up
   * in the store; a lease the store ended meanwhile is still stale (the writes check every
   * token against the stored lease).
   */
  leaseOf?: (token: number) => LeasedTask | undefined;
}

/** What the server knows of the task behind a lease it holds (WriteBatch.leaseOf). */
export interface LeasedTask {
  taskId: number;
  reps: number;
}

/** What one claim got; `more`: more tasks of its types were ready than it leased. */
export interface ClaimOutcome {
  leases: Lease[];
  more: boolean;
}

/**
 * A cancel of a task not finished yet. `revoked`: the active leases it ended (a running
 * task's; their attempts end `canceled`, and a late report on them is stale).
 */
export type CancelOutcome =
  | { ok: true; task: TaskRecord; revoked: number[] }
  | { ok: false; reason: 'not_found' }
  | { ok: false; reason: 'not_cancelable'; status: TaskStatus };

/** What a batch did, in the order of the batch's arrays. */
export interface WriteOutcome {
  /**
   * Ids of the submitted tasks: the new task's, or for a duplicate (its key was held) the id
   * of the task holding the key.
   */
  ids: number[];
  /** Positions in `submits` that were duplicates, ascending; empty when none was. */
  duplicates: number[];
  /** For each completion: the task after it, or undefined when the token was stale. */
  completions: (TaskState | undefined)[];
  /** For each failure: the task after it, or undefined when the token was stale. */
  failures: (TaskState | undefined)[];
  /** For each release: the task after it, or undefined when the token was stale. */
  releases: (TaskState | undefined)[];
  cancels: CancelOutcome[];
  /** For each progress report: whether the token still held its lease. */
  progress: boolean[];
  /** For each claim, in order. */
  claims: ClaimOutcome[];
}

/** An empty batch, to fill in. */
export function emptyBatch(now: number): WriteBatch {
  return {
    now,
    submits: [],
    completions: [],
    failures: [],
    releases: [],
    cancels: [],
    progress: [],
    claims: [],
  };
}

/** Whether a batch writes anything besides its claims. */
export function hasWrites(b: WriteBatch): boolean {
  return (
    b.submits.length > 0 ||
    b.completions.length > 0 ||
    b.failures.length > 0 ||
    b.releases.length > 0 ||
    b.cancels.length > 0 ||
    b.progress.length > 0
  );
}
