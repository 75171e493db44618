-- tasks-release: ends active leases as released: each gives back one leased unit without a
-- verdict. No task may appear twice in one call (see tasks-complete). Not a failure: unless
-- it is terminal (finished_at set), the task is runnable again at once. A token whose lease
-- is not active changes nothing and returns no row. A lease on the task's row (migration
-- 008) is written to leases as released and cleared from the row. Right-hand sides read the
-- row as it was before the update.
-- Params: $1 bigint[] tokens, $2 bigint now (ms)
-- Returns: token, then the task after the update in TASK_COLUMNS order.
WITH input AS (
  SELECT * FROM unnest($1::bigint[]) AS i (token)
),
ended AS (
  UPDATE leases AS l SET state = 'released', ended_at = $2::bigint
  FROM input AS i
  WHERE l.token = i.token AND l.state = 'active'
  RETURNING l.token, l.task_id
),
on_row AS (
  INSERT INTO leases (token, task_id, n, worker, state, deadline, started_at, ended_at)
  OVERRIDING SYSTEM VALUE
  SELECT i.token, t.id, t.attempts, t.lease_worker, 'released', t.lease_deadline,
         t.lease_started_at, $2::bigint
  FROM input AS i
  JOIN tasks AS t ON t.lease_token = i.token AND t.finished_at IS NULL
  RETURNING token, task_id
),
reports AS (
  SELECT token, task_id FROM ended
  UNION ALL
  SELECT token, task_id FROM on_row
)
UPDATE tasks AS t SET
  units_leased = t.units_leased - 1,
  status = CASE
    WHEN t.finished_at IS NOT NULL THEN t.status
    WHEN t.units_done = 0 AND t.units_leased - 1 = 0 THEN 'enqueued'
    ELSE 'processing'
  END,
  ready = (t.finished_at IS NULL AND t.units_done + t.units_leased - 1 < t.reps),
  lease_token = NULL, lease_worker = NULL, lease_deadline = NULL, lease_started_at = NULL,
  updated_at = $2::bigint
FROM reports AS e
WHERE t.id = e.task_id
RETURNING e.token, t.id, t.type, t.data, t.status, t.result, t.error, t.reps, t.units_done,
          t.units_leased, t.attempts, t.failures, t.max_attempts, t.progress, t.run_at,
          t.created_at, t.started_at, t.finished_at, t.updated_at, t.priority, t.key,
          t.schedule
