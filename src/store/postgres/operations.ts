/**
 * The PostgreSQL store's operations other than `write` (write.ts), each one transaction
 * over one pooled connection (`Session`), in as few round trips as the work allows:
 * statements that do not need each other's results go out together in one pipeline.
 */
import { TASK_STATUSES, type TaskStatus } from '../../model/tasks.ts';
import {
  type LeaseRow,
  type TallyRow,
  type TaskRow,
  toAttemptRecord,
  toTallySummary,
  toTaskRecord,
} from '../rows.ts';
import type {
  ClaimRequest,
  ExpiredLease,
  Lease,
  TallySpec,
  TallySummary,
  TaskWithLog,
} from '../types.ts';
import { addClaim } from './claims.ts';
import type { Session } from './connection.ts';
import { type Announcer, announce } from './notifications.ts';

/**
 * Leases up to `limit` runnable tasks of the given types, in claim order (priority, then
 * id): one statement.
 *
 * Claims and extensions commit without waiting for the WAL flush (synchronous_commit off for
 * their transaction): a lease lost to a crash of PostgreSQL loses no acknowledged work (the
 * task is still stored and runs again; the worker's report is then refused as stale), and a
 * lost extension only makes a lease expire early. Every commit that acknowledges work waits
 * for the flush of the WAL up to itself, which includes the claims before it.
 */
export async function claim(s: Session, req: ClaimRequest): Promise<Lease[]> {
  if (req.types.length === 0 || req.limit <= 0) return [];
  const p = s.pipeline().begin().control('SET LOCAL synchronous_commit = off');
  const claimed = addClaim(p, req);
  await p.commit().send();
  return claimed().leases;
}

/** Moves the deadline of active leases not past theirs; per token, whether it moved. */
export async function extend(s: Session, tokens: number[], deadline: number, now: number) {
  const valid = tokens.filter(Number.isSafeInteger);
  if (valid.length === 0) return tokens.map(() => false);
  // Unsynced, as claims are (see claim).
  const p = s.pipeline().begin().control('SET LOCAL synchronous_commit = off');
  const extended = p.run<{ token: number }>('leases-extend', [valid, deadline, now]);
  await p.commit().send();
  const held = new Set(extended.rows.map((r) => r.token));
  return tokens.map((token) => held.has(token));
}

/** Takes back every active lease whose deadline is before `now`, each exactly once. */
export async function reclaimExpired(
  s: Session,
  now: number,
  announcer: Announcer | undefined,
): Promise<ExpiredLease[]> {
  const ended = await endLeases(s, now, 'expired', now, announcer);
  return ended.map((r) => ({ token: r.token, taskId: r.task_id, worker: r.worker }));
}

/** Releases every active lease; returns how many. */
export async function releaseAll(
  s: Session,
  now: number,
  announcer: Announcer | undefined,
): Promise<number> {
  return (await endLeases(s, now, 'released', Number.MAX_SAFE_INTEGER, announcer)).length;
}

/** Ends the active leases whose deadline is before `before` with `state` (leases-end.sql). */
async function endLeases(
  s: Session,
  now: number,
  state: 'expired' | 'released',
  before: number,
  announcer: Announcer | undefined,
): Promise<{ token: number; task_id: number; worker: string }[]> {
  // A plain scan of leases_active_deadline: not a scan of every lease (the planner may think
  // most are active, from statistics taken at a busy moment), nor a bitmap scan, which does
  // not mark the index entries of ended leases dead as it passes them (until a vacuum
  // removes them, every lease ever ended stays in that index; a plain scan skips the marked
  // ones). The statement's plan is made, and kept, the first time it runs on a connection:
  // always under these settings.
  const first = s
    .pipeline()
    .begin()
    .control('SET LOCAL enable_bitmapscan = off')
    .control('SET LOCAL enable_seqscan = off');
  const ended = first.run<{ token: number; task_id: number; worker: string }>('leases-end', [
    now,
    state,
    before,
  ]);
  await first.send();
  const ids = ended.rows.map((r) => r.task_id);
  const second = s.pipeline();
  if (ids.length > 0) announce(second, announcer, { ready: true, ids });
  await second.commit().send();
  return ended.rows;
}

/** One task, and its attempt log when asked (one snapshot: one read-only transaction). */
export async function get(
  s: Session,
  id: number,
  withAttempts: boolean,
): Promise<TaskWithLog | undefined> {
  if (!Number.isSafeInteger(id)) return undefined;
  const p = s.pipeline();
  if (!withAttempts) {
    const task = p.run<TaskRow>('task-get', [id]);
    await p.send();
    return task.rows[0] && toTaskRecord(task.rows[0]);
  }
  p.begin('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  const task = p.run<TaskRow>('task-get', [id]);
  const log = p.run<LeaseRow>('leases-of-task', [id]);
  const retries = p.run<{ at: number; by_whom: string; was: TaskStatus }>('retries-of-task', [id]);
  await p.commit().send();
  const row = task.rows[0];
  if (row === undefined) return undefined;
  return {
    ...toTaskRecord(row),
    attemptLog: log.rows.map(toAttemptRecord),
    retries: retries.rows.map((r) => ({ at: r.at, by: r.by_whom, was: r.was })),
  };
}

/** The earliest run-at of a ready task that is not yet runnable, if any. */
export async function nextRunAt(s: Session, now: number): Promise<number | undefined> {
  const p = s.pipeline();
  const next = p.run<{ run_at: number | null }>('next-run-at', [now]);
  await p.send();
  return next.rows[0]?.run_at ?? undefined;
}

/**
 * Creates a tally and one task per key, in key order, or finds the tally already stored
 * under `spec.name` (also when another server creates it at the same moment).
 */
export async function createTally(
  s: Session,
  spec: TallySpec,
  now: number,
  announcer: Announcer | undefined,
): Promise<{ id: number; created: boolean }> {
  const name = spec.name ?? null;
  const { keys, reps, maxAttempts } = spec;
  if (!Number.isInteger(keys) || keys < 1) {
    // As in SQLite: a name already taken finds its tally whatever the keys asked for.
    const found = name === null ? undefined : await tallyByName(s, name);
    if (found !== undefined) return { id: found, created: false };
    throw new RangeError(`a tally needs a positive integer number of keys: ${keys}`);
  }
  const first = s.pipeline().begin();
  const inserted = first.run<{ id: number }>('tally-insert', [name, keys, reps, now]);
  await first.send();
  const second = s.pipeline();
  const id = inserted.rows[0]?.id;
  if (id === undefined) {
    const found = second.run<{ id: number }>('tally-by-name', [name]);
    await second.commit().send();
    return { id: found.rows[0]!.id, created: false };
  }
  second.run('tally-task-insert', [id, keys, reps, maxAttempts, now]);
  announce(second, announcer, { ready: true, ids: [] });
  await second.commit().send();
  return { id, created: true };
}

async function tallyByName(s: Session, name: string): Promise<number | undefined> {
  const p = s.pipeline();
  const found = p.run<{ id: number }>('tally-by-name', [name]);
  await p.send();
  return found.rows[0]?.id;
}

/**
 * The summary of one tally: by name (and id, when both are given they must match), by id,
 * or the latest when neither is given. Undefined when there is no such tally.
 */
export async function tally(
  s: Session,
  which: { id?: number; name?: string },
): Promise<TallySummary | undefined> {
  if (which.id !== undefined && !Number.isSafeInteger(which.id)) return undefined;
  const p = s.pipeline();
  const summary = p.run<TallyRow & { workers: string[] }>('tally-summary', [
    which.id ?? null,
    which.name ?? null,
  ]);
  await p.send();
  const row = summary.rows[0];
  return row && toTallySummary(row, row.workers);
}

/** Counts of tasks by status, every status present. */
export async function counts(s: Session): Promise<Record<TaskStatus, number>> {
  const p = s.pipeline();
  const groups = p.run<{ status: TaskStatus; n: number }>('counts', []);
  await p.send();
  const out = Object.fromEntries(TASK_STATUSES.map((st) => [st, 0])) as Record<TaskStatus, number>;
  for (const row of groups.rows) out[row.status] = row.n;
  return out;
}

/** Records task types as accepted; known ones are left as they are. */
export async function declareTypes(
  s: Session,
  types: readonly string[],
  now: number,
): Promise<void> {
  const p = s.pipeline();
  p.run('types-declare', [types, now]);
  await p.send();
}

/** Every task type recorded as accepted. */
export async function taskTypes(s: Session): Promise<string[]> {
  const p = s.pipeline();
  const rows = p.run<{ name: string }>('types-list', []);
  await p.send();
  return rows.rows.map((r) => r.name);
}
