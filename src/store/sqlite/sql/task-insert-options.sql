-- task-insert-options: enqueues a new task with scheduling options (task-insert is the path
-- without): a priority, a due time (status 'scheduled', not ready, until enqueue-due), a
-- unique key, the schedule that made it, an attempt timeout. A key another task of the type
-- holds inserts nothing (no row changed): the caller then looks the holder up (task-by-key).
-- Params, positional: id INTEGER or NULL (see task-insert), type TEXT, data TEXT (JSON), status TEXT ('enqueued' | 'scheduled'),
--   ready INTEGER (0 | 1), reps INTEGER, max_attempts INTEGER, run_at INTEGER (ms),
--   now INTEGER (ms) twice, priority INTEGER, key TEXT or NULL, key_held INTEGER (0 | 1),
--   schedule TEXT or NULL, due INTEGER (ms, the run_at of a scheduled task) or NULL,
--   timeout_ms INTEGER or NULL
-- The new id is the statement's lastInsertRowid (when a row changed).
INSERT INTO tasks (id, type, data, status, ready, reps, max_attempts, run_at, created_at,
                   updated_at, priority, key, key_held, schedule, due, timeout_ms)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (type, key) WHERE key_held = 1 DO NOTHING
