-- task-insert: enqueues a new task, runnable at once.
-- Params, positional (they bind faster than named ones, on this per-task path): id INTEGER or
--   NULL (NULL: the highest rowid plus one; see TaskIds), type TEXT, data TEXT (JSON),
--   reps INTEGER, max_attempts INTEGER, now INTEGER (ms) three times
-- The new id is the statement's lastInsertRowid.
INSERT INTO tasks (id, type, data, status, ready, reps, max_attempts, run_at, created_at,
                   updated_at)
VALUES (?, ?, ?, 'enqueued', 1, ?, ?, ?, ?, ?)
