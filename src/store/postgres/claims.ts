/**
 * The PostgreSQL store's claim statement, added to a pipeline: on its own (`claim`, a
 * transaction of its own) or after the other writes of a batch (`write`, in the batch's
 * transaction, so a task submitted in the batch can be leased by it: one commit for both).
 */
import type { Json } from '../../model/tasks.ts';
import type { ClaimOutcome, ClaimRequest } from '../types.ts';
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
  return () => ({
    leases: leased.rows.map((row) => ({
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
    })),
    more: leased.rows.length === req.limit,
  });
}
