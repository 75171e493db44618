-- tally-task-insert: enqueues the task of one key of a tally, runnable at once. The same
-- columns as task-insert, plus the tally it belongs to.
-- Params: @id INTEGER or NULL (see task-insert), @data TEXT (JSON `{"tally": id, "key": n}`),
--         @reps INTEGER, @maxAttempts INTEGER, @tallyId INTEGER, @now INTEGER (ms)
INSERT INTO tasks (id, type, data, status, ready, run_at, reps, max_attempts, created_at,
                   updated_at, tally_id)
VALUES (@id, 'tally', @data, 'enqueued', 1, @now, @reps, @maxAttempts, @now, @now, @tallyId)
