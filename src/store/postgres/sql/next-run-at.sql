-- next-run-at: the earliest time a task becomes due (NULL when none): a retry waiting for its
-- run_at after $1 (a task runnable from its submit has run_at = created_at), or a scheduled
-- task, possibly before $1 (due and not enqueued yet). finished_at IS NULL, true of every
-- ready task, selects the index tasks_run_at; due (set only while a task is scheduled) is
-- tasks_scheduled.
-- Params: $1 bigint now (ms)
SELECT min(t) AS run_at
FROM (
  SELECT min(run_at) AS t
  FROM tasks
  WHERE ready AND finished_at IS NULL AND run_at > $1::bigint AND run_at > created_at
  UNION ALL
  SELECT min(due) FROM tasks WHERE due IS NOT NULL
) AS due
