/**
 * Retention: which finished tasks a store deletes, and what a prune batch tells. The rule is
 * the same in every store, so it lives here; each store scans its finished tasks in
 * finish-time order (an index on finished_at) and deletes those this rule lets go.
 */
import type { TaskStatus } from '../model/tasks.ts';

/** How long finished tasks are kept, per final status (ms after they finished); null: forever. */
export interface RetentionPolicy {
  done: number | null;
  failed: number | null;
  canceled: number | null;
}

/** Where a prune pass stands in finish-time order: it goes on after this task. */
export interface PruneCursor {
  finishedAt: number;
  id: number;
}

/**
 * One prune batch: it reads at most `limit` finished tasks after `after` (in finished_at, id
 * order) that finished before `before`, and deletes those the policy lets go at `now`.
 */
export interface PruneRequest {
  now: number;
  policy: RetentionPolicy;
  /** How long a finished task holds its unique key (KEY_HOLD_MS): it is kept that long too. */
  keyHoldMs: number;
  before: number;
  after: PruneCursor | undefined;
  limit: number;
}

/** A deleted task: enough for the in-memory counts to let go of it. */
export interface PrunedTask {
  id: number;
  type: string;
  status: TaskStatus;
}

export interface PruneOutcome {
  /** The tasks this batch deleted (a pruned tally's tasks included). */
  tasks: PrunedTask[];
  /** The tallies this batch deleted. */
  tallies: number[];
  /** Where the pass stands: the last task this batch read (`after` when it read none). */
  cursor: PruneCursor | undefined;
  /** Whether the batch read `limit` tasks: more may be left before `before`. */
  more: boolean;
  /** A shared store: another server was pruning at that moment, so this one did nothing. */
  busy?: boolean;
}

/**
 * The highest task and tally ids retention ever deleted. An id at or below its mark that
 * the store does not have was pruned (see docs/protocol.md: TASK_PRUNED).
 */
export interface PrunedMarks {
  task: number;
  tally: number;
}

/** A finished task as the prune scan reads it. */
export interface FinishedRow {
  id: number;
  type: string;
  status: TaskStatus;
  finishedAt: number;
  /** It still holds its unique key (see KEY_HOLD_MS in types.ts). */
  keyHeld: boolean;
  tallyId: number | null;
}

/** How long a task finished with `status` is kept (ms); null: forever (not a final status too). */
export function keepFor(policy: RetentionPolicy, status: TaskStatus): number | null {
  if (status === 'done' || status === 'failed' || status === 'canceled') return policy[status];
  return null;
}

/**
 * Whether retention lets a finished task go at `now`: it finished longer ago than its
 * status's retention, and, while it holds its unique key, longer ago than the key hold too
 * (a keyed submit retried within KEY_HOLD_MS must still find its task, whatever the
 * retention). A tally's task is never deleted alone: see `tallyExpired`.
 */
export function expired(row: FinishedRow, req: PruneRequest): boolean {
  const keep = keepFor(req.policy, row.status);
  if (keep === null) return false;
  const ms = row.keyHeld ? Math.max(keep, req.keyHoldMs) : keep;
  return row.finishedAt < req.now - ms;
}

/** What a tally's tasks say about it, for its retention. */
export interface TallyAge {
  tasks: number;
  finished: number;
  /** When its last task finished (null while none has). */
  lastFinishedAt: number | null;
  /** Whether any of its tasks failed. */
  failed: boolean;
}

/**
 * A tally is finished once every one of its tasks is; it is kept, whole, for the failed
 * retention when any of its tasks failed, else for the done retention, counted from its last
 * task's finish (its summary aggregates over every task, so none goes before the others).
 */
export function tallyExpired(age: TallyAge, policy: RetentionPolicy, now: number): boolean {
  if (age.finished < age.tasks || age.lastFinishedAt === null) return false;
  const keep = age.failed ? policy.failed : policy.done;
  return keep !== null && age.lastFinishedAt < now - keep;
}

/**
 * The pass lengths a sweep runs, shortest first: one per distinct retention a finished task
 * can have (a status's, or the key hold when that is longer). Each pass reads the finished
 * tasks older than its length from where it stopped last time, so a task kept longer than
 * the shortest retention is read once per pass, not once per sweep.
 */
export function passLengths(policy: RetentionPolicy, keyHoldMs: number): number[] {
  const lengths = new Set<number>();
  for (const keep of [policy.done, policy.failed, policy.canceled]) {
    if (keep === null) continue;
    lengths.add(keep);
    lengths.add(Math.max(keep, keyHoldMs));
  }
  return [...lengths].sort((a, b) => a - b);
}

/** What a store does for retention (part of Store). */
export interface PruningStore {
  /**
   * One prune batch, one transaction: reads up to `limit` finished tasks in finish-time order
   * after the cursor, deletes those retention lets go (with their attempts; a tally whole,
   * once all of it has expired) and raises the pruned marks. A shared store lets one server
   * prune at a time: another's batch meanwhile does nothing and says `busy`.
   */
  prune(req: PruneRequest): Promise<PruneOutcome>;
  /** The highest task and tally ids retention deleted (0 when none). */
  prunedMarks(): Promise<PrunedMarks>;
}

/** Whether a policy keeps everything (nothing to prune). */
export function keepsAll(policy: RetentionPolicy): boolean {
  return policy.done === null && policy.failed === null && policy.canceled === null;
}
