-- tasks-complete: ends active leases as done and counts their units. No task may appear
-- twice in one call (the store splits a batch into rounds so that it does not). The first
-- completion that brings units_done to reps finishes the task and stores its result; a task
-- already terminal (finished_at set) only counts the units: its result is never
-- overwritten. A report of 0 units that leaves nothing done and nothing leased puts the task
-- back to 'enqueued', as a release does. A token whose lease is not active changes nothing
-- and returns no row.
-- Right-hand sides read the row as it was before the update.
-- Params: $1 bigint[] tokens, $2 text[] results (JSON, NULL for none), $3 integer[] units,
--         $4 bigint now (ms)
-- Returns: token, then the task after the update in TASK_COLUMNS order.
WITH ended AS (
  UPDATE leases AS l SET state = 'done', ended_at = $4::bigint, units = i.units
  FROM unnest($1::bigint[], $2::text[], $3::integer[]) AS i (token, result, units)
  WHERE l.token = i.token AND l.state = 'active'
  RETURNING l.token, l.task_id, i.units, i.result
)
UPDATE tasks AS t SET
  units_done   = t.units_done + e.units,
  units_leased = t.units_leased - 1,
  status = CASE
    WHEN t.finished_at IS NOT NULL THEN t.status
    WHEN t.units_done + e.units >= t.reps THEN 'done'
    WHEN t.units_done + e.units = 0 AND t.units_leased - 1 = 0 THEN 'enqueued'
    ELSE 'processing'
  END,
  result = CASE
    WHEN t.finished_at IS NULL AND t.units_done + e.units >= t.reps THEN e.result
    ELSE t.result
  END,
  progress = CASE
    WHEN t.finished_at IS NULL AND t.units_done + e.units >= t.reps THEN 1
    ELSE t.progress
  END,
  finished_at = CASE
    WHEN t.finished_at IS NULL AND t.units_done + e.units >= t.reps THEN $4::bigint
    ELSE t.finished_at
  END,
  ready = CASE
    WHEN t.finished_at IS NOT NULL OR t.units_done + e.units >= t.reps THEN false
    ELSE t.units_done + e.units + t.units_leased - 1 < t.reps
  END,
  updated_at = $4::bigint
FROM ended AS e
WHERE t.id = e.task_id
RETURNING e.token, t.id, t.type, t.data, t.status, t.result, t.error, t.reps, t.units_done,
          t.units_leased, t.attempts, t.failures, t.max_attempts, t.progress, t.run_at,
          t.created_at, t.started_at, t.finished_at, t.updated_at, t.priority, t.key,
          t.schedule
