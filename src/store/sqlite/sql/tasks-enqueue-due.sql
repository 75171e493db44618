-- tasks-enqueue-due: makes scheduled tasks that are due enqueued and ready (leasable), the
-- earliest due first, at most @limit of them, through tasks_scheduled. run_at stays the due
-- time (shown in status); the claim takes it since run_at <= now.
-- Params: @now INTEGER (ms), @limit INTEGER
-- Returns: id, type of each task enqueued.
UPDATE tasks SET status = 'enqueued', ready = 1, due = NULL, updated_at = @now
WHERE id IN (
  SELECT id FROM tasks INDEXED BY tasks_scheduled
  WHERE due IS NOT NULL AND due <= @now
  ORDER BY due
  LIMIT @limit
)
RETURNING id, type
