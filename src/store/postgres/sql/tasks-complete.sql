-- tasks-complete: ends active leases as done and counts their units. No task may appear
-- twice in one call (the store splits a batch into rounds so that it does not). The first
-- completion that brings units_done to reps finishes the task and stores its result; a task
-- already terminal (finished_at set) only counts the units: its result is never
-- overwritten. A report of 0 units that leaves nothing done and nothing leased puts the task
-- back to 'enqueued', as a release does. A token whose lease is not active changes nothing
-- and returns no row.
-- A lease on a single-unit task's row (migration 008) whose completion finishes the task
-- stays there as the task's last attempt, and nothing else is written; one that does not (0
-- units) is written to leases as done and cleared from the row.
-- Right-hand sides read the row as it was before the update.
-- Params: $1 bigint[] tokens, $2 text[] results (JSON, NULL for none), $3 integer[] units,
--         $4 bigint now (ms), $5 boolean[] whole (the task comes back with its data and
--         result; else those two are NULL: nobody waits on it, WriteBatch.full)
-- Returns: token, then the task after the update in TASK_COLUMNS order.
WITH input AS (
  SELECT *
  FROM unnest($1::bigint[], $2::text[], $3::integer[], $5::boolean[])
    AS i (token, result, units, whole)
),
ended AS (
  UPDATE leases AS l SET state = 'done', ended_at = $4::bigint, units = i.units
  FROM input AS i
  WHERE l.token = i.token AND l.state = 'active'
  RETURNING l.token, l.task_id, i.units, i.result, i.whole, false AS on_row
),
on_row AS (
  SELECT i.token, t.id AS task_id, i.units, i.result, i.whole, true AS on_row
  FROM input AS i
  JOIN tasks AS t ON t.lease_token = i.token AND t.finished_at IS NULL
),
-- On the task's row, a completion of fewer units than the task lacks leaves it unfinished.
moved AS (
  INSERT INTO leases (token, task_id, n, worker, state, deadline, started_at, ended_at, units)
  OVERRIDING SYSTEM VALUE
  SELECT r.token, t.id, t.attempts, t.lease_worker, 'done', t.lease_deadline,
         t.lease_started_at, $4::bigint, r.units
  FROM on_row AS r
  JOIN tasks AS t ON t.id = r.task_id
  WHERE t.units_done + r.units < t.reps
),
reports AS (
  SELECT * FROM ended
  UNION ALL
  SELECT * FROM on_row
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
  lease_token = CASE WHEN e.on_row AND t.units_done + e.units < t.reps THEN NULL
                     ELSE t.lease_token END,
  lease_worker = CASE WHEN e.on_row AND t.units_done + e.units < t.reps THEN NULL
                      ELSE t.lease_worker END,
  lease_deadline = CASE WHEN e.on_row AND t.units_done + e.units < t.reps THEN NULL
                        ELSE t.lease_deadline END,
  lease_started_at = CASE WHEN e.on_row AND t.units_done + e.units < t.reps THEN NULL
                          ELSE t.lease_started_at END,
  updated_at = $4::bigint
FROM reports AS e
WHERE t.id = e.task_id
RETURNING e.token, t.id, t.type, CASE WHEN e.whole THEN t.data END AS data, t.status,
          CASE WHEN e.whole THEN t.result END AS result, t.error, t.reps, t.units_done,
          t.units_leased, t.attempts, t.failures, t.max_attempts, t.progress, t.run_at,
          t.created_at, t.started_at, t.finished_at, t.updated_at, t.priority, t.key,
          t.schedule
