-- lease-task: the task of an active lease; no row for a stale token (the lease ended).
-- Params: @token INTEGER
SELECT task_id FROM leases WHERE token = @token AND state = 'active'
