-- lease-extend: moves the deadline of an active lease; touches no row for a stale token.
-- Params: @token INTEGER, @deadline INTEGER (ms)
UPDATE leases SET deadline = @deadline WHERE token = @token AND state = 'active'
