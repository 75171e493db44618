-- task-get: one task by id. The column order is TASK_COLUMNS in rows.ts (checked when the
-- statement is prepared), since rows come back as arrays.
-- Params, positional: id INTEGER
SELECT id, type, data, status, result, error, reps, units_done, units_leased, attempts,
       failures, max_attempts, progress, run_at, created_at, started_at, finished_at,
       updated_at, priority, key, schedule
FROM tasks
WHERE id = ?
