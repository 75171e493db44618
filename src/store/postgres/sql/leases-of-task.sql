-- leases-of-task: the attempt log of one task, in attempt order: its rows of leases, and
-- the attempt on the task's own row (migration 008): active while the task is unfinished,
-- else the attempt that completed it (its units are units_done, it ended at finished_at).
-- Params: $1 bigint task id
SELECT token, task_id, n, worker, state, deadline, started_at, ended_at, units, error
FROM leases
WHERE task_id = $1::bigint
UNION ALL
SELECT lease_token, id, attempts, lease_worker,
       CASE WHEN finished_at IS NULL THEN 'active' ELSE 'done' END, lease_deadline,
       lease_started_at, finished_at,
       CASE WHEN finished_at IS NULL THEN NULL ELSE units_done END, NULL::text
FROM tasks
WHERE id = $1::bigint AND lease_token IS NOT NULL
ORDER BY n
