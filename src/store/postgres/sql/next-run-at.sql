-- next-run-at: the earliest run_at of a ready task not yet runnable (NULL when none): a
-- retry waiting for its time (a task runnable from its submit has run_at = created_at).
-- finished_at IS NULL, true of every ready task, selects the index tasks_run_at.
-- Params: $1 bigint now (ms)
SELECT min(run_at) AS run_at
FROM tasks
WHERE ready AND finished_at IS NULL AND run_at > $1::bigint AND run_at > created_at
