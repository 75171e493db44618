-- leases-lock-cancel: leases-lock for a batch that cancels tasks: locks the active leases
-- among the given tokens and those of the tasks to cancel (a running task's, which the
-- cancel ends), all in token order like every other writer, before their tasks are locked.
-- Params: $1 bigint[] tokens, $2 bigint[] task ids (the cancels)
-- Returns: token, task_id of each active lease locked.
SELECT token, task_id
FROM leases
WHERE token = ANY (
    $1::bigint[]
    || ARRAY(SELECT token FROM leases WHERE task_id = ANY ($2::bigint[]) AND ended_at IS NULL)
  )
  AND state = 'active'
ORDER BY token
FOR NO KEY UPDATE
