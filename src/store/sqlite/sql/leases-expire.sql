-- leases-expire: ends every active lease whose deadline is before now, as expired.
-- Params: @now INTEGER (ms)
-- Returns token, task_id and worker of each expired lease.
UPDATE leases SET state = 'expired', ended_at = @now
WHERE state = 'active' AND deadline < @now
RETURNING token, task_id, worker
