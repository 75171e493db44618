/**
 * The SQLite store's operations as synchronous functions over prepared statements. Each
 * must run inside one transaction, which `SqliteStore` opens around it.
 *
 * Updates read the task back with task-get rather than `RETURNING`: in SQLite an UPDATE
 * with RETURNING costs more than the same UPDATE followed by a SELECT by rowid.
 *
 * Active leases are in memory (active-leases.ts); an attempt is written when it ends.
 */

import { TASK_STATUSES, type TaskStatus } from '../../model/tasks.ts';
import { type LeaseRow, type TaskRow, toAttemptRecord, toJsonText, toTaskRecord } from '../rows.ts';
import { soleClaim } from '../sole-claim.ts';
import type {
  AttemptRecord,
  CancelOutcome,
  Completion,
  ExpiredLease,
  Failure,
  LeaseState,
  TaskRecord,
  TaskState,
  WriteBatch,
  WriteOutcome,
} from '../types.ts';
import { hasOptions } from '../types.ts';
import type { ActiveLease, ActiveLeases } from './active-leases.ts';
import { claim } from './claims.ts';
import { insertWithOptions } from './scheduling.ts';
import type { Statements } from './statements.ts';
import { submitLeased } from './submit-leased.ts';
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

/**
 * Applies a write batch in the documented order: submits, completions, failures, releases,
 * cancels, progress, then claims. A batch of plain submits and one claim applies its reports
 * first and then its submits, leased by the claim where it takes them (submit-leased.ts):
 * what it commits is the same, since a report cannot touch a task the batch submits.
 */
export function applyBatch(p: StoreParts, batch: WriteBatch): WriteOutcome {
  const sole = soleClaim(batch);
  const submitted = sole === undefined ? insertSubmits(p, batch) : undefined;
  const { now } = batch;
  const completions = batch.completions.map((c) => complete(p, batch, c));
  const failures = batch.failures.map((f) => fail(p, batch, f));
  const releases = batch.releases.map((token) => release(p, batch, token));
  const cancels = batch.cancels.map((id) => cancel(p, id, now));
  const progressed = batch.progress.map((r) => progress(p, r.token, r.progress, now));
  const reports = { completions, failures, releases, cancels, progress: progressed };
  if (submitted === undefined) {
    const { ids, claim: claimed } = submitLeased(p, batch, sole!);
    return { ids, duplicates: [], ...reports, claims: [claimed] };
  }
  const claims = batch.claims.map((req) => claim(p, req));
  return { ...submitted, ...reports, claims };
}

/** Inserts a batch's submits, in order; `duplicates`: those a held unique key turned away. */
function insertSubmits(p: StoreParts, batch: WriteBatch) {
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
  return { ids, duplicates };
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
