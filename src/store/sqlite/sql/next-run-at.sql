-- next-run-at: the earliest time a task becomes due (NULL when none): a retry waiting for
-- its run_at (after @now), or a scheduled task (possibly before @now: due and not enqueued
-- yet). A task runnable from its submit has run_at = created_at: `run_at > created_at`
-- selects the partial index tasks_delayed, which holds only retries (and due delayed tasks
-- not leased yet, before @now); due, set only on scheduled tasks, is tasks_scheduled.
-- Params: @now INTEGER (ms)
SELECT MIN(t) FROM (
  SELECT MIN(run_at) AS t FROM tasks WHERE ready = 1 AND run_at > created_at AND run_at > @now
  UNION ALL
  SELECT MIN(due) FROM tasks WHERE due IS NOT NULL
)
