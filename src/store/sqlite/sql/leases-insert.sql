-- leases-insert: records one active lease (an attempt) per task just leased by tasks-lease,
-- whose attempts column is now the new attempt's number. Tokens ascend with task ids.
-- Params: @ids TEXT (JSON array of task ids), @worker TEXT, @deadline INTEGER (ms),
--         @now INTEGER (ms)
-- Returns [token, task_id] of each new lease, as arrays (in no promised order).
INSERT INTO leases (task_id, n, worker, state, deadline, started_at)
SELECT id, attempts, @worker, 'active', @deadline, @now
FROM tasks
WHERE id IN (SELECT value FROM json_each(@ids))
ORDER BY id
RETURNING token, task_id
