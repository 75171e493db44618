-- leases-release-all: ends every active lease as released and gives its unit back to its
-- task (an exclusive store's new owner takes over leases a crashed predecessor left).
-- Each lease is locked with its task, in token order, waiting for writers: not the order
-- writers lock in (all leases, then tasks), so a deadlock with one is possible; PostgreSQL
-- detects it and the store retries the transaction.
-- Params: $1 bigint now (ms)
-- Returns: token, task_id of each released lease, by token.
WITH held AS (
  SELECT l.token
  FROM leases AS l
  JOIN tasks AS t ON t.id = l.task_id
  WHERE l.ended_at IS NULL AND l.state = 'active'
  ORDER BY l.token
  FOR NO KEY UPDATE OF l, t
),
ended AS (
  UPDATE leases AS l SET state = 'released', ended_at = $1::bigint
  FROM held AS h
  WHERE l.token = h.token
  RETURNING l.token, l.task_id
),
released AS (
  UPDATE tasks AS t SET
    units_leased = t.units_leased - r.n,
    status = CASE
      WHEN t.finished_at IS NOT NULL THEN t.status
      WHEN t.units_done = 0 AND t.units_leased - r.n = 0 THEN 'enqueued'
      ELSE 'processing'
    END,
    ready = (t.finished_at IS NULL AND t.units_done + t.units_leased - r.n < t.reps),
    updated_at = $1::bigint
  FROM (SELECT task_id, count(*)::integer AS n FROM ended GROUP BY task_id) AS r
  -- The array gives the planner a lookup by primary key, whatever it guesses of r's size.
  WHERE t.id = r.task_id AND t.id = ANY (ARRAY(SELECT task_id FROM ended))
)
SELECT token, task_id FROM ended ORDER BY token
