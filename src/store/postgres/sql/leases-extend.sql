-- leases-extend: moves the deadline of active leases not yet past their deadline. A lease
-- past it is lost even before a sweep takes it back: any server may reclaim it at any time.
-- Locks leases rows in token order, then the tasks whose row holds the lease (migration
-- 008) in id order, like every writer (see leases-lock).
-- Params: $1 bigint[] tokens, $2 bigint new deadline (ms), $3 bigint now (ms)
-- Returns: token of each extended lease.
WITH held AS (
  SELECT token
  FROM leases
  WHERE token = ANY ($1::bigint[]) AND state = 'active' AND deadline >= $3::bigint
  ORDER BY token
  FOR NO KEY UPDATE
),
rows_extended AS (
  UPDATE leases AS l SET deadline = $2::bigint
  FROM held AS h
  WHERE l.token = h.token
  RETURNING l.token
),
held_on_tasks AS (
  SELECT id
  FROM tasks
  WHERE lease_token = ANY ($1::bigint[]) AND finished_at IS NULL
    AND lease_deadline >= $3::bigint
  ORDER BY id
  FOR NO KEY UPDATE
),
tasks_extended AS (
  UPDATE tasks AS t SET lease_deadline = $2::bigint
  FROM held_on_tasks AS h
  WHERE t.id = h.id
  RETURNING t.lease_token AS token
)
SELECT token FROM rows_extended
UNION ALL
SELECT token FROM tasks_extended
