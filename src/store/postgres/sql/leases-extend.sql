-- leases-extend: moves the deadline of active leases not yet past their deadline. A lease
-- past it is lost even before a sweep takes it back: any server may reclaim it at any time.
-- Locks in token order, like every writer of leases (see leases-lock).
-- Params: $1 bigint[] tokens, $2 bigint new deadline (ms), $3 bigint now (ms)
-- Returns: token of each extended lease.
WITH held AS (
  SELECT token
  FROM leases
  WHERE token = ANY ($1::bigint[]) AND state = 'active' AND deadline >= $3::bigint
  ORDER BY token
  FOR NO KEY UPDATE
)
UPDATE leases AS l SET deadline = $2::bigint
FROM held AS h
WHERE l.token = h.token
RETURNING l.token
