-- claim-candidates: runnable tasks of one type, the highest priority first and, among equal
-- priorities, the oldest (lowest id) first, with what a lease carries. Walks the partial
-- index tasks_claim (type, priority DESC, id) in its order, so it reads about `limit` rows
-- however long the queue is. A task runnable from its submit (run_at = created_at) is runnable whatever the
-- clock says now (a clock set back does not hold it); a retry waits for its run_at.
-- Params, positional: type TEXT, now INTEGER (ms), limit INTEGER
-- run_at: when the task became runnable (a lease's readyAt, for the wait-time metric).
-- timeout_ms: the task's attempt timeout (NULL: none of its own).
-- Rows come back as arrays, in this column order (see `Candidate` in operations.ts).
-- `LIMIT ? + 0`, not `LIMIT ?`: SQLite (3.47+) plans a bare bound LIMIT as the constant it
-- was bound to and re-prepares the statement whenever it is bound again, that is on every
-- call (measured: 12 µs a call instead of 2).
SELECT id, type, data, reps, attempts, error, priority, key, schedule, run_at, timeout_ms
FROM tasks INDEXED BY tasks_claim
WHERE ready = 1 AND type = ? AND (run_at <= ? OR run_at = created_at)
ORDER BY priority DESC, id
LIMIT ? + 0
