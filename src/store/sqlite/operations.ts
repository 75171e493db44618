/**
 * The SQLite store's operations as synchronous functions over prepared statements. Each
 * must run inside one transaction, which `SqliteStore` opens around it.
 */
import { TASK_STATUSES, type TaskStatus } from '../../protocol/tasks.ts';
import type {
  CancelOutcome,
  ClaimRequest,
  ExpiredLease,
  Lease,
  LeaseState,
  TaskRecord,
  WriteBatch,
  WriteOutcome,
} from '../types.ts';
import { type TaskRow, toJsonText, toTaskRecord } from './rows.ts';
import type { Statements } from './statements.ts';

/** Ends an active lease; returns its task id, or undefined when the token is stale. */
function endLease(
  st: Statements,
  token: number,
  state: LeaseState,
  now: number,
  units: number | null = null,
  error: string | null = null,
): number | undefined {
  const row = st['lease-end'].get({ token, state, now, units, error }) as
    | { task_id: number }
    | undefined;
  return row?.task_id;
}

function taskAfter(row: unknown): TaskRecord {
  return toTaskRecord(row as TaskRow);
}

/** Gives back one leased unit of a task (release or expiry); returns the task's row. */
function releaseUnit(st: Statements, taskId: number, now: number): unknown {
  return st['task-release'].get({ id: taskId, now });
}

function cancel(st: Statements, id: number, now: number): CancelOutcome {
  const row = st['task-cancel'].get({ id, now });
  if (row !== undefined) return { ok: true, task: taskAfter(row) };
  const status = st['task-status'].get({ id }) as TaskStatus | undefined;
  if (status === undefined) return { ok: false, reason: 'not_found' };
  return { ok: false, reason: 'not_cancelable', status };
}

/** Applies a write batch in the documented order: submits, completions, failures, etc. */
export function applyBatch(st: Statements, batch: WriteBatch): WriteOutcome {
  const { now } = batch;
  const out: WriteOutcome = {
    ids: [],
    completions: [],
    failures: [],
    releases: [],
    cancels: [],
    progress: [],
  };
  const insert = st['task-insert'];
  for (const task of batch.submits) {
    const { lastInsertRowid } = insert.run({
      type: task.type,
      data: JSON.stringify(task.data),
      reps: task.reps,
      maxAttempts: task.maxAttempts,
      now,
    });
    out.ids.push(Number(lastInsertRowid));
  }
  for (const c of batch.completions) {
    const result = toJsonText(c.result);
    const id = endLease(st, c.token, 'done', now, c.units);
    out.completions.push(
      id === undefined
        ? undefined
        : taskAfter(st['task-complete'].get({ id, units: c.units, result, now })),
    );
  }
  for (const f of batch.failures) {
    const id = endLease(st, f.token, 'failed', now, null, f.error);
    out.failures.push(
      id === undefined
        ? undefined
        : taskAfter(st['task-fail'].get({ id, error: f.error, retryAt: f.retryAt, now })),
    );
  }
  for (const token of batch.releases) {
    const id = endLease(st, token, 'released', now);
    out.releases.push(id === undefined ? undefined : taskAfter(releaseUnit(st, id, now)));
  }
  for (const id of batch.cancels) out.cancels.push(cancel(st, id, now));
  const progress = st['task-progress'];
  for (const p of batch.progress) {
    out.progress.push(progress.run({ token: p.token, progress: p.progress, now }).changes > 0);
  }
  return out;
}

/** Ids of the oldest runnable tasks of the given types, at most `limit`, ascending. */
function candidates(st: Statements, types: readonly string[], now: number, limit: number) {
  const select = st['claim-candidates'];
  const distinct = [...new Set(types)];
  if (distinct.length === 1) return select.all({ type: distinct[0], now, limit }) as number[];
  // Each type's index range is walked separately (an IN list would sort every match).
  const ids: number[] = [];
  for (const type of distinct) ids.push(...(select.all({ type, now, limit }) as number[]));
  return ids.sort((a, b) => a - b).slice(0, limit);
}

/** Leases up to `limit` runnable tasks of the given types, oldest first. */
export function claim(st: Statements, req: ClaimRequest): Lease[] {
  const { worker, now, leaseMs } = req;
  if (req.types.length === 0 || req.limit <= 0) return [];
  const deadline = now + leaseMs;
  const leaseTask = st['task-lease'];
  const insertLease = st['lease-insert'];
  const leases: Lease[] = [];
  for (const id of candidates(st, req.types, now, req.limit)) {
    const task = leaseTask.get({ id, now }) as
      | { type: string; data: string; reps: number; attempts: number }
      | undefined;
    if (task === undefined) continue; // not ready any more; cannot happen in one transaction
    const { lastInsertRowid } = insertLease.run({
      taskId: id,
      n: task.attempts,
      worker,
      deadline,
      now,
    });
    leases.push({
      token: Number(lastInsertRowid),
      taskId: id,
      type: task.type,
      data: JSON.parse(task.data),
      reps: task.reps,
      attempt: task.attempts,
      deadline,
    });
  }
  return leases;
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
  for (const row of rows) releaseUnit(st, row.task_id, now);
  return rows.map((row) => ({ token: row.token, taskId: row.task_id, worker: row.worker }));
}

/** Releases every active lease; returns how many. */
export function releaseAll(st: Statements, now: number): number {
  const taskIds = st['leases-release-all'].all({ now }) as { task_id: number }[];
  for (const { task_id } of taskIds) releaseUnit(st, task_id, now);
  return taskIds.length;
}

/** Counts of tasks by status, every status present. */
export function counts(st: Statements): Record<TaskStatus, number> {
  const out = Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as Record<TaskStatus, number>;
  for (const row of st.counts.all() as { status: TaskStatus; n: number }[]) out[row.status] = row.n;
  return out;
}
