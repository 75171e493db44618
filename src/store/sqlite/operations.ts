/**
 * The SQLite store's operations as synchronous functions over prepared statements. Each
 * must run inside one transaction, which `SqliteStore` opens around it.
 *
 * Updates read the task back with task-get rather than `RETURNING`: in SQLite an UPDATE
 * with RETURNING costs more than the same UPDATE followed by a SELECT by rowid.
 *
 * Active leases are in memory (active-leases.ts); an attempt is written when it ends.
 */
import { type Json, TASK_STATUSES, type TaskStatus } from '../../model/tasks.ts';
import { type LeaseRow, type TaskRow, toAttemptRecord, toJsonText, toTaskRecord } from '../rows.ts';
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
  TaskRecord,
  TaskState,
  WriteBatch,
  WriteOutcome,
} from '../types.ts';
import { hasOptions } from '../types.ts';
import type { ActiveLease, ActiveLeases } from './active-leases.ts';
import { insertWithOptions } from './scheduling.ts';
import type { Statements } from './statements.ts';
import type { TaskIds } from './task-ids.ts';
import type { Tokens } from './tokens.ts';

/**
 * What the operations work on: the statements, the active leases, the token range and the
 * ids inserts must take after retention.
 */
export interface StoreParts {
  st: Statements;
  leases: ActiveLeases;
  tokens: Tokens;
  ids: TaskIds;
}

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

/** The attempt log of a task, in attempt order: the ended attempts, then the active ones. */
export function attemptLog(p: StoreParts, taskId: number): AttemptRecord[] {
  const ended = (p.st['attempts-of-task'].all({ taskId }) as LeaseRow[]).map(toAttemptRecord);
  return [...ended, ...p.leases.ofTask(taskId)].sort((a, b) => a.n - b.n);
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

/** How an attempt ended. */
interface Ending {
  state: Exclude<LeaseState, 'active'>;
  units: number | null;
  error: string | null;
}

/** Writes the row of an attempt that ends now. */
function endAttempt(st: Statements, lease: ActiveLease, end: Ending, now: number): void {
  const { taskId, n, token, worker, deadline, startedAt } = lease;
  const { state, units, error } = end;
  st['attempt-insert'].run(taskId, n, token, worker, state, deadline, startedAt, now, units, error);
}

/**
 * Ends an active lease with its verdict, then applies `update` to its task. Returns the task
 * after the change, or undefined when the token is stale (the lease already ended, or was
 * never handed out): then nothing changes.
 */
function settle(
  p: StoreParts,
  batch: WriteBatch,
  token: number,
  end: Ending,
  update: (taskId: number) => void,
): TaskState | undefined {
  const lease = p.leases.take(token);
  if (lease === undefined) return undefined;
  endAttempt(p.st, lease, end, batch.now);
  update(lease.taskId);
  return stateAfter(p.st, lease.taskId, batch.full);
}

function complete(p: StoreParts, batch: WriteBatch, c: Completion): TaskState | undefined {
  const { now } = batch;
  const result = toJsonText(c.result);
  const { units } = c;
  const lease = p.leases.get(c.token);
  if (lease !== undefined && lease.reps === 1 && units >= 1) {
    return completeSingle(p, batch, p.leases.take(c.token)!, units, result);
  }
  const end: Ending = { state: 'done', units, error: null };
  return settle(p, batch, c.token, end, (id) =>
    p.st['task-complete'].run({ id, units, result, now }),
  );
}

/**
 * Completes a single-unit task (task-done: one update, the attempt kept on its row). Its
 * lease is the only one the task can have (it is not leasable while leased), so the task was
 * processing with nothing done, and what it is left in is known without reading it back:
 * done, its units, no unit leased, and the error it had when it was leased (only its own
 * lease could have changed that).
 */
function completeSingle(
  p: StoreParts,
  batch: WriteBatch,
  lease: ActiveLease,
  units: number,
  result: string | null,
): TaskState {
  const { now } = batch;
  const { taskId: id, token, n, worker, deadline, startedAt } = lease;
  const { changes } = p.st['task-done'].run(
    units,
    result,
    now,
    now,
    token,
    n,
    worker,
    deadline,
    startedAt,
    id,
  );
  if (changes !== 1) throw new Error(`task ${id} was not a single-unit task leased once`);
  if (batch.full === undefined || batch.full(id)) return taskAfter(p.st, id);
  const { type, error } = lease;
  return { id, type, status: 'done', reps: 1, unitsDone: units, unitsLeased: 0, error };
}

function fail(p: StoreParts, batch: WriteBatch, f: Failure): TaskState | undefined {
  const { now } = batch;
  const { error, retryAt } = f;
  const end: Ending = { state: 'failed', units: null, error };
  return settle(p, batch, f.token, end, (id) => p.st['task-fail'].run({ id, error, retryAt, now }));
}

const RELEASED: Ending = { state: 'released', units: null, error: null };

function release(p: StoreParts, batch: WriteBatch, token: number): TaskState | undefined {
  const { now } = batch;
  return settle(p, batch, token, RELEASED, (id) => p.st['task-release'].run({ id, now }));
}

function progress(p: StoreParts, token: number, value: number, now: number): boolean {
  const lease = p.leases.get(token);
  if (lease === undefined) return false;
  p.st['task-progress'].run({ id: lease.taskId, progress: value, now });
  return true;
}

const CANCELED: Ending = { state: 'canceled', units: null, error: null };

/** Cancels an unfinished task; a running one's active leases end `canceled` (revoked). */
function cancel(p: StoreParts, id: number, now: number): CancelOutcome {
  const { st } = p;
  if (st['task-cancel'].run({ id, now }).changes > 0) {
    const revoked: number[] = [];
    for (const { token } of p.leases.ofTask(id)) {
      const lease = p.leases.take(token);
      if (lease) endAttempt(st, lease, CANCELED, now);
      revoked.push(token);
    }
    return { ok: true, task: taskAfter(st, id), revoked };
  }
  const status = st['task-status'].get({ id }) as TaskStatus | undefined;
  if (status === undefined) return { ok: false, reason: 'not_found' };
  return { ok: false, reason: 'not_cancelable', status };
}

/** Applies a write batch in the documented order: submits, completions, failures, etc. */
export function applyBatch(p: StoreParts, batch: WriteBatch): WriteOutcome {
  const { st } = p;
  const { now } = batch;
  const insert = st['task-insert'];
  const duplicates: number[] = [];
  const ids = batch.submits.map((task, i) => {
    if (hasOptions(task)) {
      const { id, duplicate } = insertWithOptions(st, p.ids, task, now);
      if (duplicate) duplicates.push(i);
      return id;
    }
    const data = JSON.stringify(task.data);
    const given = p.ids.task;
    if (given !== null) p.ids.task = null;
    const { lastInsertRowid } = insert.run(
      given,
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
  const completions = batch.completions.map((c) => complete(p, batch, c));
  const failures = batch.failures.map((f) => fail(p, batch, f));
  const releases = batch.releases.map((token) => release(p, batch, token));
  const cancels = batch.cancels.map((id) => cancel(p, id, now));
  const progressed = batch.progress.map((r) => progress(p, r.token, r.progress, now));
  const claims = batch.claims.map((req) => claim(p, req));
  return {
    ids,
    duplicates,
    completions,
    failures,
    releases,
    cancels,
    progress: progressed,
    claims,
  };
}

/** A row of claim-candidates. */
type Candidate = [
  id: number,
  type: string,
  data: string,
  reps: number,
  attempts: number,
  error: string | null,
  priority: number,
  key: string | null,
  schedule: string | null,
  runAt: number,
  timeoutMs: number | null,
];

/** Claim order: the highest priority first, then the lowest id. */
const claimOrder = (a: Candidate, b: Candidate) => b[6] - a[6] || a[0] - b[0];

/** The first runnable tasks of the given types in claim order, at most `limit`. */
function candidates(st: Statements, types: readonly string[], now: number, limit: number) {
  const select = st['claim-candidates'];
  const distinct = [...new Set(types)];
  if (distinct.length === 1) return select.all(distinct[0], now, limit) as Candidate[];
  // Each type's index range is walked separately (an IN list would sort every match).
  const rows: Candidate[] = [];
  for (const type of distinct) rows.push(...(select.all(type, now, limit) as Candidate[]));
  return rows.sort(claimOrder).slice(0, limit);
}

/**
 * A claim of up to this many tasks leases them one statement per task (task-lease); a
 * larger one uses one statement over json_each (tasks-lease), whose fixed cost (about 7 µs)
 * is repaid from 4 tasks on.
 */
const SMALL_CLAIM = 3;

/**
 * Leases up to `limit` runnable tasks of the given types, in claim order: a select, then the
 * tasks' updates; the leases themselves are kept in memory. Reads one candidate more than
 * it leases, to tell whether more are ready.
 */
export function claim(p: StoreParts, req: ClaimRequest): ClaimOutcome {
  const { now, leaseMs, worker } = req;
  if (req.types.length === 0 || req.limit <= 0) return { leases: [], more: false };
  const exclude = req.excludeTaskId;
  const read = req.limit + (exclude === undefined ? 1 : 2);
  const found = candidates(p.st, req.types, now, read).filter(([id]) => id !== exclude);
  const more = found.length > req.limit;
  const tasks = found.slice(0, req.limit);
  if (tasks.length === 0) return { leases: [], more };
  leaseTasks(p.st, tasks, now);
  const deadline = now + leaseMs;
  const first = p.tokens.take(tasks.length);
  const leases: Lease[] = tasks.map((row, i) => {
    const [taskId, type, data, reps, attempts, error, priority, key, schedule, readyAt, timeoutMs] =
      row;
    const token = first + i;
    const n = attempts + 1;
    p.leases.add({ token, taskId, n, worker, deadline, startedAt: now, type, reps, error });
    const parsed = JSON.parse(data) as Json;
    return {
      token,
      taskId,
      type,
      data: parsed,
      reps,
      attempt: n,
      deadline,
      priority,
      key,
      schedule,
      readyAt,
      timeoutMs,
    };
  });
  return { leases, more };
}

/** Counts one more leased unit (and attempt) of each candidate. */
function leaseTasks(st: Statements, tasks: Candidate[], now: number): void {
  if (tasks.length <= SMALL_CLAIM) {
    const update = st['task-lease'];
    for (const [id] of tasks) {
      if (update.run(now, now, id).changes !== 1) {
        throw new Error(`claim could not lease task ${id}, a candidate of the same transaction`);
      }
    }
    return;
  }
  const ids = JSON.stringify(tasks.map(([id]) => id));
  const { changes } = st['tasks-lease'].run({ ids, now });
  if (changes !== tasks.length) {
    throw new Error(`claim leased ${changes} of ${tasks.length} tasks`);
  }
}

/** Moves the deadline of active leases; per token, whether it was active. */
export function extend(leases: ActiveLeases, tokens: number[], deadline: number): boolean[] {
  return tokens.map((token) => leases.extend(token, deadline));
}

/** Ends leases without a verdict: writes each attempt as `state` and gives its unit back. */
function giveBack(p: StoreParts, leases: ActiveLease[], state: Ending['state'], now: number) {
  const releaseTask = p.st['task-release'];
  for (const lease of leases) {
    p.leases.take(lease.token);
    endAttempt(p.st, lease, { state, units: null, error: null }, now);
    releaseTask.run({ id: lease.taskId, now });
  }
}

/** Takes back every active lease whose deadline is before `now`, like a release. */
export function reclaimExpired(p: StoreParts, now: number): ExpiredLease[] {
  const expired = p.leases.expired(now);
  giveBack(p, expired, 'expired', now);
  return expired.map(({ token, taskId, worker }) => ({ token, taskId, worker }));
}

/** Releases every active lease; returns how many. */
export function releaseAll(p: StoreParts, now: number): number {
  const all = p.leases.all();
  giveBack(p, all, 'released', now);
  return all.length;
}

/** Counts of tasks by status, every status present. */
export function counts(st: Statements): Record<TaskStatus, number> {
  const out = Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as Record<TaskStatus, number>;
  for (const row of st.counts.all() as { status: TaskStatus; n: number }[]) out[row.status] = row.n;
  return out;
}
