-- task-list-end: where the window of task-list ends: the @scan-th task of the time range
-- below the cursor (nothing when fewer are left). A page that matched fewer than its limit
-- continues from here. Reads at most @scan of the range's rows (and
-- the margin's).
-- Params: @below INTEGER, @atLeast INTEGER, @from INTEGER, @to INTEGER, @scan INTEGER
SELECT id FROM tasks
WHERE id < @below AND id >= @atLeast AND created_at >= @from AND created_at < @to
ORDER BY id DESC
LIMIT 1 OFFSET @scan - 1
