-- leases-insert: records one active lease (an attempt) per task just leased by tasks-lease,
-- whose attempts column is now the new attempt's number. Tokens ascend with task ids.
-- A join, not `WHERE id IN (SELECT … json_each)`, which builds a temporary index of the ids
-- first (measured: a third slower).
-- Params: @ids TEXT (JSON array of task ids), @worker TEXT, @deadline INTEGER (ms),
--         @now INTEGER (ms)
-- No RETURNING (it costs more than the insert here): the statement inserts its rows in task
-- id order, and SQLite gives each new row the largest rowid so far plus one, so the tokens
-- are the `changes` consecutive rowids ending at lastInsertRowid, in task id order.
INSERT INTO leases (task_id, n, worker, state, deadline, started_at)
SELECT tasks.id, tasks.attempts, @worker, 'active', @deadline, @now
FROM json_each(@ids) AS leased
JOIN tasks ON tasks.id = leased.value
ORDER BY tasks.id
