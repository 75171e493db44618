-- task-list-failed-end: where the window of task-list-failed ends: the @scan-th entry after the
-- cursor (nothing when fewer are left). A page that matched fewer than its limit continues
-- from here. Reads at most @scan entries of tasks_failed (and their rows: SQLite checks the
-- predicate columns there).
-- Params: @beforeAt INTEGER, @beforeId INTEGER, @from INTEGER, @to INTEGER, @scan INTEGER
SELECT created_at, id FROM tasks INDEXED BY tasks_failed
WHERE (created_at, id) < (@beforeAt, @beforeId) AND created_at >= @from AND created_at < @to
    AND finished_at IS NOT NULL AND error IS NOT NULL
ORDER BY created_at DESC, id DESC
LIMIT 1 OFFSET @scan - 1
