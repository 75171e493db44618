-- task-key-release: a finished task past its key's hold time lets its key go (it keeps the
-- key for status); a new task may then hold it.
-- Params, positional: id INTEGER
UPDATE tasks SET key_held = 0 WHERE id = ?
