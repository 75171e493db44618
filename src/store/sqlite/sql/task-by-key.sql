-- task-by-key: the task holding a unique key of a type, through tasks_key; no row when none.
-- Rows come back as arrays: id, finished_at.
-- Params, positional: type TEXT, key TEXT
SELECT id, finished_at FROM tasks WHERE type = ? AND key = ? AND key_held = 1
