-- lease-insert: records a new active lease (an attempt). The token is its lastInsertRowid.
-- Params: @taskId INTEGER, @n INTEGER (attempt number), @worker TEXT, @deadline INTEGER (ms),
--         @now INTEGER (ms)
INSERT INTO leases (task_id, n, worker, state, deadline, started_at)
VALUES (@taskId, @n, @worker, 'active', @deadline, @now)
