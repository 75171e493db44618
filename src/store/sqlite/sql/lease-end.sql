-- lease-end: closes an active lease with its verdict (see lease-task for the stale check).
-- Params, positional: state TEXT ('done' | 'failed' | 'released'), now INTEGER (ms),
--   units INTEGER or NULL, error TEXT or NULL, token INTEGER
UPDATE leases SET state = ?, ended_at = ?, units = ?, error = ?
WHERE token = ? AND state = 'active'
