-- lease-task: the task of an active lease; no row for a stale token (the lease ended).
-- Params, positional: token INTEGER
SELECT task_id FROM leases WHERE token = ? AND state = 'active'
