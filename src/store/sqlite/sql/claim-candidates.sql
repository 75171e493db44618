-- claim-candidates: runnable tasks of one type, oldest first, with what a lease carries.
-- Walks the partial index tasks_claim, so it reads about `limit` rows however long the
-- queue is.
-- Params: @type TEXT, @now INTEGER (ms), @limit INTEGER
SELECT id, type, data, reps, attempts
FROM tasks INDEXED BY tasks_claim
WHERE ready = 1 AND type = @type AND run_at <= @now
ORDER BY id
LIMIT @limit
