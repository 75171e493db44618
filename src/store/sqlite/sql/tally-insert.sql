-- tally-insert: records a new tally (its tasks are inserted by tally-task-insert).
-- Params: @name TEXT or NULL, @keys INTEGER, @reps INTEGER, @now INTEGER (ms)
-- The new id is the statement's lastInsertRowid.
INSERT INTO tallies (name, keys, reps, created_at) VALUES (@name, @keys, @reps, @now)
