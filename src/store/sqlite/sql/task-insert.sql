-- task-insert: enqueues a new task, runnable at once.
-- Params: @type TEXT, @data TEXT (JSON), @reps INTEGER, @maxAttempts INTEGER, @now INTEGER (ms)
-- The new id is the statement's lastInsertRowid.
INSERT INTO tasks (type, data, status, ready, run_at, reps, max_attempts, created_at, updated_at)
VALUES (@type, @data, 'enqueued', 1, @now, @reps, @maxAttempts, @now, @now)
