-- tasks-lock: locks, in id order, the tasks of the active leases among the given tokens
-- (a leases row locked by leases-lock just before, or the lease on the task's own row) and
-- the other given tasks (cancels).
-- Params: $1 bigint[] tokens, $2 bigint[] task ids
-- Returns: id, reps, open (not yet terminal) of each task found.
SELECT id, reps, finished_at IS NULL AS open
FROM tasks
WHERE id = ANY (
  ARRAY(SELECT task_id FROM leases WHERE token = ANY ($1::bigint[]) AND state = 'active')
  || ARRAY(
    SELECT id FROM tasks WHERE lease_token = ANY ($1::bigint[]) AND finished_at IS NULL
  )
  || $2::bigint[]
)
ORDER BY id
FOR NO KEY UPDATE
