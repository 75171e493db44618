/**
 * The PostgreSQL store's claim statements, added to a pipeline: on its own (`claim`, a
 * transaction of its own) or after the other writes of a batch (`write`, in the batch's
 * transaction, so a task submitted in the batch can be leased by it: one commit for both);
 * for a quiet batch (plain submits and one claim), with the submits in one statement, which
 * inserts the new tasks it takes already leased.
 */
import type { Json } from '../../model/tasks.ts';
import type { ClaimOutcome, ClaimRequest, Lease, NewTask } from '../types.ts';
import type { Pipeline } from './connection.ts';

interface ClaimRow {
  token: number;
  task_id: number;
  type: string;
  data: string;
  reps: number;
  attempt: number;
  priority: number;
  key: string | null;
  schedule: string | null;
  run_at: number;
  timeout_ms: number | null;
}

const NOTHING: () => ClaimOutcome = () => ({ leases: [], more: false });

/**
 * Adds the claim `req` to `p` (tasks-claim: up to `limit` runnable tasks of its types, in
 * claim order, priority then id); returns what it got once `p` was sent. The statement does
 * not say whether more tasks were ready: a claim that got all it asked for assumes so.
 */
export function addClaim(p: Pipeline, req: ClaimRequest): () => ClaimOutcome {
  const types = [...new Set(req.types)];
  if (types.length === 0 || req.limit <= 0) return NOTHING;
  const deadline = req.now + req.leaseMs;
  const leased = p.run<ClaimRow>('tasks-claim', [
    types,
    req.now,
    req.limit,
    req.excludeTaskId ?? 0,
    req.worker,
    deadline,
  ]);
  return () => outcomeOf(leased.rows, req, deadline);
}

/** A row of task-insert-claim: an input's id (`ord` set), or a lease in claim order. */
type InsertClaimRow = { ord: number | null } & ClaimRow;

/**
 * Adds the plain submits `submits` (their data as JSON text) and the claim `req` (soleClaim
 * accepted the batch) to `p` as one statement, task-insert-claim; returns the submits' ids
 * and what the claim got once `p` was sent.
 */
export function addInsertClaim(
  p: Pipeline,
  submits: NewTask[],
  data: string[],
  now: number,
  req: ClaimRequest,
): () => { ids: number[]; claim: ClaimOutcome } {
  const deadline = req.now + req.leaseMs;
  const rows = p.run<InsertClaimRow>('task-insert-claim', [
    submits.map((t) => t.type),
    data,
    submits.map((t) => t.reps),
    submits.map((t) => t.maxAttempts),
    now,
    [...new Set(req.types)],
    req.now,
    req.limit,
    req.excludeTaskId ?? 0,
    req.worker,
    deadline,
  ]);
  return () => {
    const ids: number[] = [];
    const leased: ClaimRow[] = [];
    for (const row of rows.rows) {
      if (row.ord === null) leased.push(row);
      else ids.push(row.task_id);
    }
    return { ids, claim: outcomeOf(leased, req, deadline) };
  };
}

function outcomeOf(rows: ClaimRow[], req: ClaimRequest, deadline: number): ClaimOutcome {
  return {
    leases: rows.map(
      (row): Lease => ({
        token: row.token,
        taskId: row.task_id,
        type: row.type,
        data: JSON.parse(row.data) as Json,
        reps: row.reps,
        attempt: row.attempt,
        deadline,
        priority: row.priority,
        key: row.key,
        schedule: row.schedule,
        readyAt: row.run_at,
        timeoutMs: row.timeout_ms,
      }),
    ),
    more: rows.length === req.limit,
  };
}
