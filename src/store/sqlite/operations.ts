/**
 * The SQLite store's operations as synchronous functions over prepared statements. Each
 * must run inside one transaction, which `SqliteStore` opens around it.
 *
 * Updates read the task back with task-get rather than `RETURNING`: in SQLite an UPDATE
 * with RETURNING costs more than the same UPDATE followed by a SELECT by rowid.
 */
import { type Json, TASK_STATUSES, type TaskStatus } from '../../protocol/tasks.ts';
import {
  type LeaseRow,
  type TallyRow,
  type TaskRow,
  toAttemptRecord,
  toJsonText,
  toTallySummary,
  toTaskRecord,
} from '../rows.ts';
import type {
  AttemptRecord,
  CancelOutcome,
  ClaimOutcome,
  ClaimRequest,
  Completion,
  ExpiredLease,
  Failure,
  Lease,
  LeaseState,
  TallySpec,
  TallySummary,
  TaskRecord,
  TaskState,
  WriteBatch,
  WriteOutcome,
} from '../types.ts';
import type { Statements } from './statements.ts';

/** Reads one task; undefined when missing. */
export function getTask(st: Statements, id: number): TaskRecord | undefined {
  const row = st['task-get'].get(id) as TaskRow | undefined;
  return row === undefined ? undefined : toTaskRecord(row);
}

/** Reads a task that must exist (it was just updated in this transaction). */
function taskAfter(st: Statements, id: number): TaskRecord {
  const task = getTask(st, id);
  if (task === undefined) throw new Error(`task ${id} vanished inside its transaction`);
  return task;
}

/** The attempt log of a task, in attempt order. */
export function attemptLog(st: Statements, taskId: number): AttemptRecord[] {
  return (st['leases-of-task'].all({ taskId }) as LeaseRow[]).map(toAttemptRecord);
}

/** What a report left a task in: the whole record when `full` asks for it (or is not given). */
function stateAfter(st: Statements, id: number, full: WriteBatch['full']): TaskState {
  if (full === undefined || full(id)) return taskAfter(st, id);
  const row = st['task-state'].get(id) as TaskStateRow | undefined;
  if (row === undefined) throw new Error(`task ${id} vanished inside its transaction`);
  const [, type, status, reps, unitsDone, unitsLeased, error] = row;
  return { id, type, status, reps, unitsDone, unitsLeased, error };
}

type TaskStateRow = [
  id: number,
  type: string,
  status: TaskStatus,
  reps: number,
  unitsDone: number,
  unitsLeased: number,
  error: string | null,
];

/** A report on a lease: how it ends the lease, and what it does to the task. */
interface Report {
  token: number;
  lease: { state: LeaseState; units: number | null; error: string | null };
  update: (taskId: number) => void;
}

/**
 * Ends an active lease with its verdict, then applies the report's update to its task.
 * Returns the task after the change, or undefined when the token is stale (the lease
 * already ended): then nothing changes.
 */
function settle(st: Statements, batch: WriteBatch, report: Report): TaskState | undefined {
  const { token, lease } = report;
  const taskId = st['lease-task'].get(token) as number | undefined;
  if (taskId === undefined) return undefined;
  st['lease-end'].run(lease.state, batch.now, lease.units, lease.error, token);
  report.update(taskId);
  return stateAfter(st, taskId, batch.full);
}

function complete(st: Statements, batch: WriteBatch, c: Completion): TaskState | undefined {
  const { now } = batch;
  const result = toJsonText(c.result);
  const { units } = c;
  return settle(st, batch, {
    token: c.token,
    lease: { state: 'done', units, error: null },
    update: (id) => st['task-complete'].run({ id, units, result, now }),
  });
}

function fail(st: Statements, batch: WriteBatch, f: Failure): TaskState | undefined {
  const { now } = batch;
  const { error, retryAt } = f;
  return settle(st, batch, {
    token: f.token,
    lease: { state: 'failed', units: null, error },
    update: (id) => st['task-fail'].run({ id, error, retryAt, now }),
  });
}

function release(st: Statements, batch: WriteBatch, token: number): TaskState | undefined {
  const { now } = batch;
  return settle(st, batch, {
    token,
    lease: { state: 'released', units: null, error: null },
    update: (id) => st['task-release'].run({ id, now }),
  });
}

function cancel(st: Statements, id: number, now: number): CancelOutcome {
  if (st['task-cancel'].run({ id, now }).changes > 0) {
    return { ok: true, task: taskAfter(st, id) };
  }
  const status = st['task-status'].get({ id }) as TaskStatus | undefined;
  if (status === undefined) return { ok: false, reason: 'not_found' };
  return { ok: false, reason: 'not_cancelable', status };
}

/** Applies a write batch in the documented order: submits, completions, failures, etc. */
export function applyBatch(st: Statements, batch: WriteBatch): WriteOutcome {
  const { now } = batch;
  const insert = st['task-insert'];
  const ids = batch.submits.map((task) => {
    const data = JSON.stringify(task.data);
    const { lastInsertRowid } = insert.run(
      task.type,
      data,
      task.reps,
      task.maxAttempts,
      now,
      now,
      now,
    );
    return Number(lastInsertRowid);
  });
  const completions = batch.completions.map((c) => complete(st, batch, c));
  const failures = batch.failures.map((f) => fail(st, batch, f));
  const releases = batch.releases.map((token) => release(st, batch, token));
  const cancels = batch.cancels.map((id) => cancel(st, id, now));
  const progress = batch.progress.map(
    (p) => st['task-progress'].run({ token: p.token, progress: p.progress, now }).changes > 0,
  );
  const claims = batch.claims.map((req) => claim(st, req));
  return { ids, completions, failures, releases, cancels, progress, claims };
}

/** A row of claim-candidates. */
type Candidate = [id: number, type: string, data: string, reps: number, attempts: number];

/** The oldest runnable tasks of the given types, at most `limit`, by ascending id. */
function candidates(st: Statements, types: readonly string[], now: number, limit: number) {
  const select = st['claim-candidates'];
  const distinct = [...new Set(types)];
  if (distinct.length === 1) return select.all(distinct[0], now, limit) as Candidate[];
  // Each type's index range is walked separately (an IN list would sort every match).
  const rows: Candidate[] = [];
  for (const type of distinct) rows.push(...(select.all(type, now, limit) as Candidate[]));
  return rows.sort((a, b) => a[0] - b[0]).slice(0, limit);
}

/**
 * A claim of up to this many tasks leases them one statement pair per task (task-lease,
 * lease-insert); a larger one uses the json_each pair (tasks-lease, leases-insert), whose
 * fixed cost (about 7 µs a statement) is repaid from 4 tasks on.
 */
const SMALL_CLAIM = 3;

/**
 * Leases up to `limit` runnable tasks of the given types, oldest first: a select, then the
 * tasks' updates and their lease rows. Reads one candidate more than it leases, to tell
 * whether more are ready.
 */
export function claim(st: Statements, req: ClaimRequest): ClaimOutcome {
  const { now, leaseMs } = req;
  if (req.types.length === 0 || req.limit <= 0) return { leases: [], more: false };
  const exclude = req.excludeTaskId;
  const read = req.limit + (exclude === undefined ? 1 : 2);
  const found = candidates(st, req.types, now, read).filter(([id]) => id !== exclude);
  const more = found.length > req.limit;
  const tasks = found.slice(0, req.limit);
  if (tasks.length === 0) return { leases: [], more };
  const deadline = now + leaseMs;
  const tokens = lease(st, req, tasks, deadline);
  const leases: Lease[] = tasks.map(([id, type, data, reps, attempts], i) => ({
    token: tokens[i]!,
    taskId: id,
    type,
    data: JSON.parse(data) as Json,
    reps,
    attempt: attempts + 1,
    deadline,
  }));
  return { leases, more };
}

/**
 * Leases the candidates: one statement pair per task for a small claim (task-lease,
 * lease-insert), one pair for them all otherwise (tasks-lease, leases-insert over
 * json_each). Returns their tokens, in the candidates' order.
 */
function lease(st: Statements, req: ClaimRequest, tasks: Candidate[], deadline: number) {
  const { worker, now } = req;
  if (tasks.length <= SMALL_CLAIM) {
    const update = st['task-lease'];
    const insert = st['lease-insert'];
    return tasks.map(([id, , , , attempts]) => {
      if (update.run(now, now, id).changes !== 1) {
        throw new Error(`claim could not lease task ${id}, a candidate of the same transaction`);
      }
      return Number(insert.run(id, attempts + 1, worker, deadline, now).lastInsertRowid);
    });
  }
  const ids = JSON.stringify(tasks.map(([id]) => id));
  const { changes } = st['tasks-lease'].run({ ids, now });
  const inserted = st['leases-insert'].run({ ids, worker, deadline, now });
  if (changes !== tasks.length || inserted.changes !== tasks.length) {
    throw new Error(
      `claim leased ${changes} tasks and ${inserted.changes} leases of ${tasks.length}`,
    );
  }
  // Consecutive tokens in task id order (see leases-insert.sql); tasks is in id order.
  const first = Number(inserted.lastInsertRowid) - tasks.length + 1;
  return tasks.map((_, i) => first + i);
}

/** Moves the deadline of active leases; per token, whether it was active. */
export function extend(st: Statements, tokens: number[], deadline: number): boolean[] {
  const update = st['lease-extend'];
  return tokens.map((token) => update.run({ token, deadline }).changes > 0);
}

/** Takes back every active lease whose deadline is before `now`, like a release. */
export function reclaimExpired(st: Statements, now: number): ExpiredLease[] {
  const rows = st['leases-expire'].all({ now }) as {
    token: number;
    task_id: number;
    worker: string;
  }[];
  const releaseTask = st['task-release'];
  return rows.map((row) => {
    releaseTask.run({ id: row.task_id, now });
    return { token: row.token, taskId: row.task_id, worker: row.worker };
  });
}

/** Releases every active lease; returns how many. */
export function releaseAll(st: Statements, now: number): number {
  const taskIds = st['leases-release-all'].all({ now }) as { task_id: number }[];
  const releaseTask = st['task-release'];
  for (const { task_id } of taskIds) releaseTask.run({ id: task_id, now });
  return taskIds.length;
}

/**
 * Creates a tally and one task per key, in key order (so claim hands out key 0 first), or
 * finds the tally already stored under `spec.name` and inserts nothing.
 */
export function createTally(
  st: Statements,
  spec: TallySpec,
  now: number,
): { id: number; created: boolean } {
  const name = spec.name ?? null;
  if (name !== null) {
    const found = st['tally-by-name'].get({ name }) as number | undefined;
    if (found !== undefined) return { id: found, created: false };
  }
  const { keys, reps, maxAttempts } = spec;
  if (!Number.isInteger(keys) || keys < 1) {
    throw new RangeError(`a tally needs a positive integer number of keys: ${keys}`);
  }
  const id = Number(st['tally-insert'].run({ name, keys, reps, now }).lastInsertRowid);
  const insert = st['tally-task-insert'];
  for (let key = 0; key < keys; key++) {
    insert.run({ data: JSON.stringify({ tally: id, key }), reps, maxAttempts, tallyId: id, now });
  }
  return { id, created: true };
}

/**
 * The summary of one tally: by id, by name (both must match when both are given), or the
 * latest when neither is. Undefined when there is no such tally.
 */
export function tally(
  st: Statements,
  which: { id?: number; name?: string },
): TallySummary | undefined {
  let { id } = which;
  if (which.name !== undefined) {
    const named = st['tally-by-name'].get({ name: which.name }) as number | undefined;
    if (named === undefined || (id !== undefined && id !== named)) return undefined;
    id = named;
  } else if (id === undefined) {
    id = (st['tally-latest'].get() as number | null) ?? undefined;
    if (id === undefined) return undefined;
  }
  const row = st['tally-summary'].get({ id }) as TallyRow | undefined;
  if (row === undefined) return undefined;
  return toTallySummary(row, st['tally-workers'].all({ id }) as string[]);
}

/** Counts of tasks by status, every status present. */
export function counts(st: Statements): Record<TaskStatus, number> {
  const out = Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as Record<TaskStatus, number>;
  for (const row of st.counts.all() as { status: TaskStatus; n: number }[]) out[row.status] = row.n;
  return out;
}
