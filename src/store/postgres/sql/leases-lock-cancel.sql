-- leases-lock-cancel: leases-lock for a batch that cancels tasks: locks the active leases
-- among the given tokens and those of the tasks to cancel (a running task's, which the
-- cancel ends), all in token order like every other writer, before their tasks are locked.
-- Leases on task rows (migration 008), the given tokens' and the cancels', are mapped, and
-- locked with their tasks by tasks-lock.
-- Params: $1 bigint[] tokens, $2 bigint[] task ids (the cancels)
-- Returns: token, task_id of each active lease locked or mapped.
WITH locked AS (
  SELECT token, task_id
  FROM leases
  WHERE token = ANY (
      $1::bigint[]
      || ARRAY(SELECT token FROM leases WHERE task_id = ANY ($2::bigint[]) AND ended_at IS NULL)
    )
    AND state = 'active'
  ORDER BY token
  FOR NO KEY UPDATE
)
SELECT token, task_id FROM locked
UNION ALL
SELECT lease_token, id
FROM tasks
WHERE (lease_token = ANY ($1::bigint[]) OR id = ANY ($2::bigint[]))
  AND lease_token IS NOT NULL
  AND finished_at IS NULL
