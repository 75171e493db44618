-- attempt-insert: records an attempt that just ended (its lease was active in memory until
-- now; see active-leases.ts).
-- Params, positional (this runs once per task): task_id INTEGER, n INTEGER, token INTEGER,
--   worker TEXT, state TEXT ('done' | 'failed' | 'expired' | 'released'), deadline INTEGER,
--   started_at INTEGER, ended_at INTEGER (ms), units INTEGER or NULL, error TEXT or NULL
INSERT INTO attempts (task_id, n, token, worker, state, deadline, started_at, ended_at, units,
                      error)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
