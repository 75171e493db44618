-- leases-lock: locks the active leases among the given tokens and maps each to its task;
-- first statement of a write batch that reports on leases. Every writer locks leases in
-- token order, then tasks in id order (tasks-lock), so two writers never deadlock; the rest
-- of the batch touches only rows locked here, which nothing else can change meanwhile.
-- A single-unit task's active lease is on its row (migration 008): it is only mapped here,
-- and locked with its task by tasks-lock; the statements after it check it again on the
-- locked row.
-- Params: $1 bigint[] tokens
-- Returns: token, task_id of each active lease; a stale token has no row.
WITH locked AS (
  SELECT token, task_id
  FROM leases
  WHERE token = ANY ($1::bigint[]) AND state = 'active'
  ORDER BY token
  FOR NO KEY UPDATE
)
SELECT token, task_id FROM locked
UNION ALL
SELECT lease_token, id
FROM tasks
WHERE lease_token = ANY ($1::bigint[]) AND finished_at IS NULL
