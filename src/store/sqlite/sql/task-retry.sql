-- task-retry: puts a failed or canceled task back in the queue: enqueued and runnable now,
-- with a fresh failure budget (failures 0; attempts keeps counting, so attempt numbers go
-- on and the log is kept). Not while a unit of it is still leased (a multi-unit task that
-- failed while other attempts ran). No row changed: the task is not in a state to.
-- Params: @id INTEGER, @now INTEGER (ms)
UPDATE tasks SET status = 'enqueued', ready = 1, run_at = @now, due = NULL, failures = 0,
                 progress = NULL, finished_at = NULL, updated_at = @now
WHERE id = @id AND status IN ('failed', 'canceled') AND units_leased = 0
