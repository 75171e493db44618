-- next-run-at: the earliest run_at of a ready task not yet runnable (NULL when none).
-- Params: @now INTEGER (ms)
SELECT MIN(run_at) AS run_at FROM tasks WHERE ready = 1 AND run_at > @now
