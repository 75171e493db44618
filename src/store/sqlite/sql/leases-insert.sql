-- leases-insert: records one active lease (an attempt) per task just leased by tasks-lease,
-- whose attempts column is now the new attempt's number. Tokens ascend with task ids.
-- Params: @ids TEXT (JSON array of task ids), @worker TEXT, @deadline INTEGER (ms),
--         @now INTEGER (ms)
-- No RETURNING (it costs more than the insert here): the statement inserts its rows in task
-- id order, and SQLite gives each new row the largest rowid so far plus one, so the tokens
-- are the `changes` consecutive rowids ending at lastInsertRowid, in task id order.
INSERT INTO leases (task_id, n, worker, state, deadline, started_at)
SELECT id, attempts, @worker, 'active', @deadline, @now
FROM tasks
WHERE id IN (SELECT value FROM json_each(@ids))
ORDER BY id
