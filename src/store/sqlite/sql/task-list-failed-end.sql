-- task-list-failed-end: where the window of task-list-failed ends: the @scan-th entry of
-- tasks_failed of the time range below the cursor (nothing when fewer are left). A page that
-- matched fewer than its limit continues from here. Reads at most @scan entries of
-- tasks_failed (and their rows: SQLite checks the predicate columns there).
-- Params: @below INTEGER, @atLeast INTEGER, @from INTEGER, @to INTEGER, @scan INTEGER
SELECT id FROM tasks INDEXED BY tasks_failed
WHERE id < @below AND id >= @atLeast AND created_at >= @from AND created_at < @to AND finished_at IS NOT NULL AND error IS NOT NULL
ORDER BY id DESC
LIMIT 1 OFFSET @scan - 1
