-- task-state: what a report left a task in (TaskState), without its data and result. Rows
-- come back as arrays, in this column order (checked against RAW in statements.ts).
-- Params, positional: id INTEGER
SELECT id, type, status, reps, units_done, units_leased, error
FROM tasks
WHERE id = ?
