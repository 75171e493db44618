-- task-cancel: cancels a task that is not finished: enqueued, scheduled (not due yet), or
-- processing (running: the caller ends its active leases, which live in memory, as
-- `canceled`). No row changed means the task is missing or finished (see task-status).
-- Params: @id INTEGER, @now INTEGER (ms)
UPDATE tasks SET status = 'canceled', ready = 0, due = NULL, units_leased = 0,
                 finished_at = @now, updated_at = @now
WHERE id = @id AND finished_at IS NULL
