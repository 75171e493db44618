-- task-state: what a report left a task in (TaskState), without its data and result. The
-- column order is TASK_STATE_COLUMNS in operations.ts (rows come back as arrays).
-- Params, positional: id INTEGER
SELECT id, type, status, reps, units_done, units_leased, error
FROM tasks
WHERE id = ?
