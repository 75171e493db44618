-- tally-insert: records a new tally (its tasks are inserted by tally-task-insert).
-- Params: @id INTEGER or NULL (see task-insert), @name TEXT or NULL, @keys INTEGER,
--         @reps INTEGER, @now INTEGER (ms)
-- The new id is the statement's lastInsertRowid.
INSERT INTO tallies (id, name, keys, reps, created_at) VALUES (@id, @name, @keys, @reps, @now)
