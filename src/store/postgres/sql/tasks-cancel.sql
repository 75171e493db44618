-- tasks-cancel: cancels the given tasks that are not finished: enqueued, scheduled (not due
-- yet) or processing (running: its active leases end `canceled`, and a late report on them
-- is stale). No id may appear twice in one call (the store puts a repeated id in a later
-- round, where it finds the task canceled). The leases were locked by leases-lock-cancel.
-- Params: $1 bigint[] task ids, $2 bigint now (ms)
-- Returns: canceled (boolean), revoked (bigint[]: the leases it ended), then the task in
-- TASK_COLUMNS order: after the cancel when canceled, else as it is (its status says why
-- not). No row for a missing id.
WITH target AS (
  SELECT id FROM tasks WHERE id = ANY ($1::bigint[]) AND finished_at IS NULL
),
ended_rows AS (
  UPDATE leases AS l SET state = 'canceled', ended_at = $2::bigint
  WHERE l.task_id IN (SELECT id FROM target) AND l.ended_at IS NULL AND l.state = 'active'
  RETURNING l.token, l.task_id
),
-- A running single-unit task's lease is on its row (migration 008): written to leases.
ended_on_tasks AS (
  INSERT INTO leases (token, task_id, n, worker, state, deadline, started_at, ended_at)
  OVERRIDING SYSTEM VALUE
  SELECT t.lease_token, t.id, t.attempts, t.lease_worker, 'canceled', t.lease_deadline,
         t.lease_started_at, $2::bigint
  FROM tasks AS t
  WHERE t.id IN (SELECT id FROM target) AND t.lease_token IS NOT NULL
  RETURNING token, task_id
),
ended AS (
  SELECT token, task_id FROM ended_rows
  UNION ALL
  SELECT token, task_id FROM ended_on_tasks
),
canceled AS (
  UPDATE tasks AS t SET status = 'canceled', ready = false, due = NULL, units_leased = 0,
                        lease_token = NULL, lease_worker = NULL, lease_deadline = NULL,
                        lease_started_at = NULL, finished_at = $2::bigint,
                        updated_at = $2::bigint
  WHERE t.id IN (SELECT id FROM target)
  RETURNING t.id, t.type, t.data, t.status, t.result, t.error, t.reps, t.units_done,
            t.units_leased, t.attempts, t.failures, t.max_attempts, t.progress, t.run_at,
            t.created_at, t.started_at, t.finished_at, t.updated_at, t.priority, t.key,
            t.schedule
)
SELECT true AS canceled,
       ARRAY(SELECT e.token FROM ended AS e WHERE e.task_id = c.id ORDER BY e.token) AS revoked,
       c.*
FROM canceled AS c
UNION ALL
SELECT false, '{}'::bigint[], t.id, t.type, t.data, t.status, t.result, t.error, t.reps,
       t.units_done, t.units_leased, t.attempts, t.failures, t.max_attempts, t.progress,
       t.run_at, t.created_at, t.started_at, t.finished_at, t.updated_at, t.priority, t.key,
       t.schedule
FROM tasks AS t
WHERE t.id = ANY ($1::bigint[]) AND t.id NOT IN (SELECT id FROM canceled)
