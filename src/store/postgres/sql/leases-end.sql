-- leases-end: ends every active lease whose deadline is before $3 with the state $2
-- ('expired' by a sweep; 'released' when an exclusive owner takes over every lease a crashed
-- predecessor left, with $3 past any deadline), and gives its unit back to its task as a
-- release does (several units of one task at once). Each lease is taken with its task under
-- SKIP LOCKED: two servers sweeping at the same moment take disjoint leases, each exactly
-- once (a lease ended by another transaction since this statement began is re-checked when
-- locked and left out), and a sweep never waits for a writer: a lease it skips is taken by
-- the next sweep. Leases rows in deadline order, through the index leases_active_deadline
-- (ended_at IS NULL is what its predicate says); the leases on single-unit tasks' rows
-- (migration 008) through tasks_lease, each written to leases with the state $2 and cleared
-- from its row. A task has its leases in one place or the other, never both.
-- Params: $1 bigint now (ms), $2 text state ('expired' | 'released'), $3 bigint before (ms)
-- Returns: token, task_id, worker of each lease ended, by token.
WITH ending AS (
  SELECT l.token
  FROM leases AS l
  JOIN tasks AS t ON t.id = l.task_id
  WHERE l.ended_at IS NULL AND l.state = 'active' AND l.deadline < $3::bigint
  ORDER BY l.deadline
  FOR NO KEY UPDATE OF l, t SKIP LOCKED
),
ended AS (
  UPDATE leases AS l SET state = $2::text, ended_at = $1::bigint
  FROM ending AS x
  WHERE l.token = x.token
  RETURNING l.token, l.task_id, l.worker
),
ending_on_tasks AS (
  SELECT id
  FROM tasks
  WHERE lease_token IS NOT NULL AND finished_at IS NULL AND lease_deadline < $3::bigint
  ORDER BY id
  FOR NO KEY UPDATE SKIP LOCKED
),
ended_on_tasks AS (
  INSERT INTO leases (token, task_id, n, worker, state, deadline, started_at, ended_at)
  OVERRIDING SYSTEM VALUE
  SELECT t.lease_token, t.id, t.attempts, t.lease_worker, $2::text, t.lease_deadline,
         t.lease_started_at, $1::bigint
  FROM tasks AS t
  WHERE t.id = ANY (ARRAY(SELECT id FROM ending_on_tasks))
  RETURNING token, task_id, worker
),
all_ended AS (
  SELECT token, task_id, worker FROM ended
  UNION ALL
  SELECT token, task_id, worker FROM ended_on_tasks
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
    lease_token = NULL, lease_worker = NULL, lease_deadline = NULL, lease_started_at = NULL,
    updated_at = $1::bigint
  FROM (SELECT task_id, count(*)::integer AS n FROM all_ended GROUP BY task_id) AS r
  -- The array gives the planner a lookup by primary key, whatever it guesses of r's size.
  WHERE t.id = r.task_id AND t.id = ANY (ARRAY(SELECT task_id FROM all_ended))
)
SELECT token, task_id, worker FROM all_ended ORDER BY token
