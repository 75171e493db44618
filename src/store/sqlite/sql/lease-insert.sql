-- lease-insert: records one active lease (an attempt), for a claim of a few tasks (see
-- task-lease). The token is the statement's lastInsertRowid.
-- Params, positional: task_id INTEGER, n INTEGER (the attempt's number, from 1),
--   worker TEXT, deadline INTEGER (ms), now INTEGER (ms)
INSERT INTO leases (task_id, n, worker, state, deadline, started_at)
VALUES (?, ?, ?, 'active', ?, ?)
