-- prune-scan: a prune batch's finished tasks, in finish-time order after the pass's cursor,
-- finished before the pass's limit (through the partial index tasks_finished).
-- Params: @finishedAt INTEGER, @id INTEGER (the cursor: rows after it), @before INTEGER (ms),
--         @limit INTEGER
SELECT id, type, status, finished_at, key_held, tally_id
FROM tasks
WHERE finished_at IS NOT NULL
  AND (finished_at, id) > (@finishedAt, @id)
  AND finished_at < @before
ORDER BY finished_at, id
LIMIT @limit
