/**
 * The storage contract. A store keeps every task, its leases (attempts) and its result.
 * It exposes no connection or transaction: each method is one atomic unit (one transaction
 * in SQLite and in PostgreSQL). All times are milliseconds since the epoch, passed in by
 * the caller so tests can control the clock.
 */
import type { AttemptState, Json, TaskStatus } from '../model/tasks.ts';
import type { PruningStore } from './retention.ts';
import type { ScheduleRecord, ScheduleSpec, ScheduleTick } from './schedule-types.ts';
import type { TaskCursor, TaskQuery } from './task-query.ts';
import type { WriteBatch, WriteOutcome } from './write-batch.ts';

export type { ScheduleRecord, ScheduleSpec, ScheduleTick } from './schedule-types.ts';
export { tickKey } from './schedule-types.ts';
export type { TaskCursor, TaskQuery } from './task-query.ts';
export type {
  CancelOutcome,
  ClaimOutcome,
  Completion,
  Failure,
  LeasedTask,
  WriteBatch,
  WriteOutcome,
} from './write-batch.ts';
export { emptyBatch, hasWrites } from './write-batch.ts';

export interface NewTask {
  type: string;
  data: Json;
  reps: number;
  maxAttempts: number;
  /** Higher is handed out first; 0 when left out. */
  priority?: number;
  /**
   * When the task becomes due (ms). A task with a run-at is `scheduled` until then and is
   * not leased; `enqueueDue` makes it `enqueued`. Left out: runnable at once.
   */
  runAt?: number;
  /**
   * A unique key: while a task of the same type holds this key, submitting another one
   * inserts nothing and answers the holder's id (a duplicate). See KEY_HOLD_MS.
   */
  key?: string;
  /** The cron schedule whose tick created the task. */
  schedule?: string;
  /** How long one attempt may run (ms) before it fails with `timeout`; none when left out. */
  timeoutMs?: number;
}

/**
 * How long a finished task keeps holding its unique key: a submit with that key within this
 * time after the task finished is still a duplicate of it; after that the key is free and
 * names a new task. An unfinished task holds its key for as long as it runs.
 */
export const KEY_HOLD_MS = 24 * 60 * 60 * 1000;

/** Whether a submit uses any scheduling option (the stores keep a faster path without). */
export function hasOptions(t: NewTask): boolean {
  return (
    t.priority !== undefined ||
    t.runAt !== undefined ||
    t.key !== undefined ||
    t.schedule !== undefined ||
    t.timeoutMs !== undefined
  );
}

/** How an attempt stands: see the model's AttemptState. */
export type LeaseState = AttemptState;

export interface AttemptRecord {
  token: number;
  taskId: number;
  n: number;
  worker: string;
  state: LeaseState;
  deadline: number;
  startedAt: number;
  endedAt: number | null;
  units: number | null;
  error: string | null;
}

export interface TaskRecord {
  id: number;
  type: string;
  data: Json;
  status: TaskStatus;
  result: Json | undefined;
  error: string | null;
  reps: number;
  unitsDone: number;
  unitsLeased: number;
  attempts: number;
  failures: number;
  maxAttempts: number;
  progress: number | null;
  /** When the task was (or is) due: its creation, its delay's end, or a retry's time. */
  runAt: number;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  updatedAt: number;
  priority: number;
  key: string | null;
  schedule: string | null;
}

/**
 * What a report on a lease left its task in: enough to decide what follows. A store may
 * return the whole TaskRecord instead (which is one); SQLite returns it only for the tasks
 * `WriteBatch.full` names, sparing a read and two JSON parses per report nobody waits on.
 */
export type TaskState = Pick<
  TaskRecord,
  'id' | 'type' | 'status' | 'reps' | 'unitsDone' | 'unitsLeased' | 'error'
>;

/** Whether a TaskState is a whole record. */
export function isRecord(task: TaskState): task is TaskRecord {
  return 'data' in task;
}

/** A task leased to a worker: the token fences every later report about this attempt. */
export interface Lease {
  token: number;
  taskId: number;
  type: string;
  data: Json;
  reps: number;
  attempt: number;
  deadline: number;
  /** When the task became runnable (its run-at: the submit, or the retry's time). */
  readyAt: number;
  priority: number;
  key: string | null;
  schedule: string | null;
  /** The task's own attempt timeout (ms), null for none (a per-type default may apply). */
  timeoutMs: number | null;
}

export interface ClaimRequest {
  worker: string;
  /** Task types the worker runs; only these are leased. */
  types: readonly string[];
  limit: number;
  now: number;
  leaseMs: number;
  /** A task not to lease this time (the legacy tally never hands a key straight back). */
  excludeTaskId?: number;
}

/** A lease that ran past its deadline and was taken back. */
export type ExpiredLease = { token: number; taskId: number; worker: string };

/** A tally: `keys` tasks of type `tally` (data `{tally, key}`), each needing `reps` units. */
export interface TallySpec {
  /** A tally with a name is created once: creating it again returns the stored one. */
  name?: string;
  keys: number;
  reps: number;
  maxAttempts: number;
}

export interface TallySummary {
  id: number;
  name: string | null;
  keys: number;
  reps: number;
  /** Keys whose units reached reps (their task is done). */
  keysDone: number;
  /** Units done per key: the smallest and largest over all keys, and their sum. */
  unitsMin: number;
  unitsMax: number;
  unitsTotal: number;
  createdAt: number;
  /** When the last key reached reps; null while the tally runs. */
  finishedAt: number | null;
  /** Distinct workers with at least one accepted (done) attempt on this tally, sorted. */
  workers: string[];
}

export interface TaskPage {
  /** Newest first. */
  tasks: TaskRecord[];
  /** Where the next page starts; undefined when no task is left to read. */
  next: TaskCursor | undefined;
}

export interface StoreCapabilities {
  /**
   * One server owns the store (embedded SQLite): leases left active by a previous process
   * can be released at start instead of waiting for their deadline.
   */
  exclusive: boolean;
  /** `write` applies a batch's claims (WriteBatch.claims) in the batch's transaction. */
  claimsInWrite: boolean;
  /**
   * A claim of its own (`claim`) runs beside a write in flight, on another connection of
   * the database (PostgreSQL), instead of after it (SQLite: one connection).
   */
  claimsBesideWrites: boolean;
}

/**
 * What another store instance sharing the same database did (see `Store.subscribe`).
 * - `ready`: tasks may have become runnable (submitted, released, retrying, reclaimed, a
 *   multi-unit task with units left); also sent when events may have been missed (when the
 *   subscription starts listening and after it reconnects), so a subscriber re-checks.
 * - `changed`: these tasks changed state (completed, failed, released, canceled, progress);
 *   a waiting client on this server may want to see them again.
 * - `due`: a task another instance stored comes due at `at` (a delayed task, a retry): a
 *   subscriber's timer should fire by then. `schedule`: a schedule runs next at `at`. Without
 *   `at`, events may have been missed (the subscription started or reconnected): read the due
 *   times again. `paused`: the paused types changed (also after a reconnect): read them again.
 * - `revoked`: another instance canceled running tasks and ended these leases.
 */
export type StoreEvent =
  | { kind: 'ready' }
  | { kind: 'changed'; ids: number[] }
  /** Tasks another instance finished, as committed (a small batch's: no read needed). */
  | { kind: 'finished'; tasks: TaskRecord[] }
  | { kind: 'due'; at?: number }
  | { kind: 'schedule'; at?: number }
  | { kind: 'paused' }
  | { kind: 'revoked'; tokens: number[] };

/** Who put a finished task back in the queue, when, and from which status (failed, canceled). */
export interface RetryRecord {
  at: number;
  by: string;
  was: TaskStatus;
}

export type RetryOutcome =
  | { ok: true; task: TaskRecord; was: TaskStatus }
  | { ok: false; reason: 'not_found' }
  | { ok: false; reason: 'not_retryable'; status: TaskStatus };

/** What an operator does to the queue, outside the batches of group commit. */
export interface OperatorStore {
  /**
   * Puts failed or canceled tasks back in the queue, one transaction: each is `enqueued`,
   * runnable now, with a fresh failure budget (failures 0; attempts and their log stay),
   * and a RetryRecord says who did it. Per id, in order, what it did.
   */
  retry(ids: readonly number[], now: number, by: string): Promise<RetryOutcome[]>;
  /** Pauses (or resumes) a task type; whether that changed anything. */
  setPaused(type: string, paused: boolean, now: number): Promise<boolean>;
  /** The paused task types, by name. */
  pausedTypes(): Promise<string[]>;
}

/** A task with its attempt log and retries, as `get(id, true)` reads it. */
export type TaskWithLog = TaskRecord & { attemptLog?: AttemptRecord[]; retries?: RetryRecord[] };

export interface Store extends PruningStore {
  readonly capabilities: StoreCapabilities;
  readonly operator: OperatorStore;
  /**
   * Optional (shared stores): calls `listener` with the events of the other store instances
   * on the same database, never with this instance's own. Returns the unsubscribe function.
   */
  subscribe?(listener: (event: StoreEvent) => void): () => void;
  /** Opens the store and applies pending migrations. */
  open(): Promise<void>;
  close(): Promise<void>;
  write(batch: WriteBatch): Promise<WriteOutcome>;
  /**
   * Leases up to `limit` ready tasks of the given types: the highest priority first, and
   * among equal priorities the oldest (lowest id) first.
   */
  claim(req: ClaimRequest): Promise<Lease[]>;
  /** Moves the deadline of active leases; returns which tokens were still active. */
  extend(tokens: number[], deadline: number, now: number): Promise<boolean[]>;
  get(id: number, withAttempts?: boolean): Promise<TaskWithLog | undefined>;
  /** Takes back every active lease whose deadline is before `now`. */
  reclaimExpired(now: number): Promise<ExpiredLease[]>;
  /** Releases every active lease (exclusive stores, at start). Returns how many. */
  releaseAll(now: number): Promise<number>;
  /**
   * The earliest time a task becomes due, if any: a retry waiting for its time (after
   * `now`), or a scheduled task (possibly before `now`, when it is due and not yet enqueued).
   */
  nextRunAt(now: number): Promise<number | undefined>;
  /**
   * Makes up to `limit` scheduled tasks due by `now` enqueued (runnable), the earliest due
   * first; returns them. Each is enqueued once, also with several servers on one database.
   */
  enqueueDue(now: number, limit: number): Promise<{ id: number; type: string }[]>;
  /** Adds a cron schedule, or replaces the one of that name (keeping its last run). */
  putSchedule(spec: ScheduleSpec, now: number): Promise<{ created: boolean }>;
  /** Every schedule, by name. */
  schedules(): Promise<ScheduleRecord[]>;
  /** Removes a schedule; false when there is none of that name. */
  removeSchedule(name: string): Promise<boolean>;
  /** The earliest next run of any schedule, if any. */
  nextScheduleRun(): Promise<number | undefined>;
  /**
   * Runs the schedules due by `now`: for each, one task for its due tick (at most one, however
   * many ticks passed: a catch-up), keyed `NAME@TICK` so that a tick makes one task, and its
   * next run set to `next(schedule)` (null: no more runs). One transaction; a schedule another
   * server is ticking at the same moment is left to it.
   */
  tickSchedules(now: number, next: (s: ScheduleRecord) => number | null): Promise<ScheduleTick[]>;
  /** Creates a tally and its tasks in one transaction (or finds the named one). */
  createTally(spec: TallySpec, now: number): Promise<{ id: number; created: boolean }>;
  /** A tally's progress, by id, by name, or the latest one when neither is given. */
  tally(which: { id?: number; name?: string }): Promise<TallySummary | undefined>;
  /** Counts of tasks by status. */
  counts(): Promise<Record<TaskStatus, number>>;
  /** Records task types as accepted (a worker declared them); known ones stay as they are. */
  declareTypes(types: readonly string[], now: number): Promise<void>;
  /** Every task type recorded as accepted, by name. */
  taskTypes(): Promise<string[]>;
  /**
   * Counts of tasks by type and status among the ids in (afterId, toId] (a scan of that
   * range: for a background reconcile only, a slice at a time).
   */
  countsByType(
    afterId: number,
    toId: number,
  ): Promise<{ type: string; status: TaskStatus; n: number }[]>;
  /** The highest task id, 0 when there is none. */
  maxTaskId(): Promise<number>;
  /** Per type, when the task the next claim would take became runnable (types with one). */
  oldestReady(types: readonly string[], now: number): Promise<{ type: string; readyAt: number }[]>;
  /**
   * A page of tasks, newest first (created_at, then id), that match the filters: keyset
   * pagination on an index, reading at most `scan` tasks whatever the page's depth.
   */
  listTasks(query: TaskQuery): Promise<TaskPage>;
}
