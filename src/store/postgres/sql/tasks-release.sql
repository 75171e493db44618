-- tasks-release: ends active leases as released: each gives back one leased unit without a
-- verdict. No task may appear twice in one call (see tasks-complete). Not a failure: unless
-- it is terminal (finished_at set), the task is runnable again at once. A token whose lease
-- is not active changes nothing and returns no row. Right-hand sides read the row as it was
-- before the update.
-- Params: $1 bigint[] tokens, $2 bigint now (ms)
-- Returns: token, then the task after the update in TASK_COLUMNS order.
WITH ended AS (
  UPDATE leases AS l SET state = 'released', ended_at = $2::bigint
  FROM unnest($1::bigint[]) AS i (token)
  WHERE l.token = i.token AND l.state = 'active'
  RETURNING l.token, l.task_id
)
UPDATE tasks AS t SET
  units_leased = t.units_leased - 1,
  status = CASE
    WHEN t.finished_at IS NOT NULL THEN t.status
    WHEN t.units_done = 0 AND t.units_leased - 1 = 0 THEN 'enqueued'
    ELSE 'processing'
  END,
  ready = (t.finished_at IS NULL AND t.units_done + t.units_leased - 1 < t.reps),
  updated_at = $2::bigint
FROM ended AS e
WHERE t.id = e.task_id
RETURNING e.token, t.id, t.type, t.data, t.status, t.result, t.error, t.reps, t.units_done,
          t.units_leased, t.attempts, t.failures, t.max_attempts, t.progress, t.run_at,
          t.created_at, t.started_at, t.finished_at, t.updated_at, t.priority, t.key,
          t.schedule
