/**
 * Claims on the SQLite store: the runnable candidates of a worker's types in claim order,
 * their lease updates, and the leases the store then holds in memory (active-leases.ts).
 */
import type { Json } from '../../model/tasks.ts';
import type { ClaimOutcome, ClaimRequest, Lease } from '../types.ts';
import type { StoreParts } from './operations.ts';
import type { Statements } from './statements.ts';

/** A row of claim-candidates. */
export type Candidate = [
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
 * The runnable tasks a claim may lease, in claim order, without the task it excludes: one
 * more than its limit, to tell whether more are ready.
 */
export function claimable(st: Statements, req: ClaimRequest): Candidate[] {
  const exclude = req.excludeTaskId;
  const read = req.limit + (exclude === undefined ? 1 : 2);
  return candidates(st, req.types, req.now, read).filter(([id]) => id !== exclude);
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
  if (req.types.length === 0 || req.limit <= 0) return { leases: [], more: false };
  const found = claimable(p.st, req);
  const more = found.length > req.limit;
  const tasks = found.slice(0, req.limit);
  if (tasks.length === 0) return { leases: [], more };
  leaseTasks(p.st, tasks, req.now);
  return { leases: holdLeases(p, req, tasks), more };
}

/** Counts one more leased unit (and attempt) of each candidate. */
export function leaseTasks(st: Statements, tasks: Candidate[], now: number): void {
  if (tasks.length === 0) return;
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

/**
 * Holds a lease on each task the claim's transaction leased (their rows already count the
 * unit), tokens in the order given: claim order.
 */
export function holdLeases(p: StoreParts, req: ClaimRequest, tasks: Candidate[]): Lease[] {
  const { now, worker } = req;
  const deadline = now + req.leaseMs;
  const first = p.tokens.take(tasks.length);
  return tasks.map((row, i) => {
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
}
