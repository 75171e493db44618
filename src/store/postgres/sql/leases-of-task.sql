-- leases-of-task: the attempt log of one task, in attempt order.
-- Params: $1 bigint task id
SELECT token, task_id, n, worker, state, deadline, started_at, ended_at, units, error
FROM leases
WHERE task_id = $1::bigint
ORDER BY n
