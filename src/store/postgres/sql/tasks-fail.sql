-- tasks-fail: ends active leases as failed and counts the failures. No task may appear twice
-- in one call (see tasks-complete). Once failures reach max_attempts the task fails for
-- good; otherwise it becomes runnable again at its retry time. A task already terminal
-- (finished_at set) only counts the lease and the failure: its status and error stay. A
-- token whose lease is not active changes nothing and returns no row. A lease on the task's
-- row (migration 008) is written to leases as failed and cleared from the row. Right-hand
-- sides read the row as it was before the update.
-- Params: $1 bigint[] tokens, $2 text[] errors, $3 bigint[] retry times (ms),
--         $4 bigint now (ms)
-- Returns: token, then the task after the update in TASK_COLUMNS order.
WITH input AS (
  SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[]) AS i (token, error, retry_at)
),
ended AS (
  UPDATE leases AS l SET state = 'failed', ended_at = $4::bigint, error = i.error
  FROM input AS i
  WHERE l.token = i.token AND l.state = 'active'
  RETURNING l.token, l.task_id, i.error, i.retry_at
),
on_row AS (
  INSERT INTO leases (token, task_id, n, worker, state, deadline, started_at, ended_at, error)
  OVERRIDING SYSTEM VALUE
  SELECT i.token, t.id, t.attempts, t.lease_worker, 'failed', t.lease_deadline,
         t.lease_started_at, $4::bigint, i.error
  FROM input AS i
  JOIN tasks AS t ON t.lease_token = i.token AND t.finished_at IS NULL
  RETURNING token, task_id, error
),
reports AS (
  SELECT token, task_id, error, retry_at FROM ended
  UNION ALL
  SELECT r.token, r.task_id, r.error, i.retry_at FROM on_row AS r JOIN input AS i USING (token)
)
UPDATE tasks AS t SET
  units_leased = t.units_leased - 1,
  failures     = t.failures + 1,
  error  = CASE WHEN t.finished_at IS NULL THEN e.error ELSE t.error END,
  status = CASE
    WHEN t.finished_at IS NOT NULL THEN t.status
    WHEN t.failures + 1 >= t.max_attempts THEN 'failed'
    WHEN t.units_done > 0 OR t.units_leased - 1 > 0 THEN 'processing'
    ELSE 'enqueued'
  END,
  finished_at = CASE
    WHEN t.finished_at IS NULL AND t.failures + 1 >= t.max_attempts THEN $4::bigint
    ELSE t.finished_at
  END,
  ready = (t.finished_at IS NULL AND t.failures + 1 < t.max_attempts),
  run_at = CASE
    WHEN t.finished_at IS NULL AND t.failures + 1 < t.max_attempts THEN e.retry_at
    ELSE t.run_at
  END,
  lease_token = NULL, lease_worker = NULL, lease_deadline = NULL, lease_started_at = NULL,
  updated_at = $4::bigint
FROM reports AS e
WHERE t.id = e.task_id
RETURNING e.token, t.id, t.type, t.data, t.status, t.result, t.error, t.reps, t.units_done,
          t.units_leased, t.attempts, t.failures, t.max_attempts, t.progress, t.run_at,
          t.created_at, t.started_at, t.finished_at, t.updated_at, t.priority, t.key,
          t.schedule
