-- task-cancel: cancels a task nobody has leased yet (enqueued, or scheduled: not due yet). No row changed means the task is
-- missing or past that point (see task-status).
-- Params: @id INTEGER, @now INTEGER (ms)
UPDATE tasks SET status = 'canceled', ready = 0, due = NULL, finished_at = @now, updated_at = @now
WHERE id = @id AND status IN ('enqueued', 'scheduled') AND units_leased = 0
