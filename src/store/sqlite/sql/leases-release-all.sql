-- leases-release-all: ends every active lease, as released (a new server process owning
-- an exclusive store takes over leases its predecessor left behind).
-- Params: @now INTEGER (ms)
-- Returns the task id of each released lease.
UPDATE leases SET state = 'released', ended_at = @now
WHERE state = 'active'
RETURNING task_id
