-- lease-end: closes an active lease with its verdict (see lease-task for the stale check).
-- Params: @token INTEGER, @state TEXT ('done' | 'failed' | 'released'),
--         @now INTEGER (ms), @units INTEGER or NULL, @error TEXT or NULL
UPDATE leases SET state = @state, ended_at = @now, units = @units, error = @error
WHERE token = @token AND state = 'active'
