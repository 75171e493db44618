-- next-run-at: the earliest run_at of a ready task not yet runnable (NULL when none). A task
-- runnable from its submit has run_at = created_at: `run_at > created_at` selects the
-- partial index tasks_delayed, which holds only the others.
-- Params: @now INTEGER (ms)
SELECT MIN(run_at) AS run_at FROM tasks WHERE ready = 1 AND run_at > created_at AND run_at > @now
