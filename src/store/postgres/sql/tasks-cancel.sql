-- tasks-cancel: cancels the given tasks that nobody has leased yet (enqueued, or scheduled:
-- not due yet). No id may appear twice
-- in one call (the store puts a repeated id in a later round, where it finds the task
-- canceled).
-- Params: $1 bigint[] task ids, $2 bigint now (ms)
-- Returns: canceled (boolean), then the task in TASK_COLUMNS order: after the cancel when
-- canceled, else as it is (its status says why not). No row for a missing id.
WITH canceled AS (
  UPDATE tasks AS t SET status = 'canceled', ready = false, due = NULL, finished_at = $2::bigint,
                        updated_at = $2::bigint
  WHERE t.id = ANY ($1::bigint[]) AND t.status IN ('enqueued', 'scheduled')
    AND t.units_leased = 0
  RETURNING t.id, t.type, t.data, t.status, t.result, t.error, t.reps, t.units_done,
            t.units_leased, t.attempts, t.failures, t.max_attempts, t.progress, t.run_at,
            t.created_at, t.started_at, t.finished_at, t.updated_at, t.priority, t.key,
            t.schedule
)
SELECT true AS canceled, c.*
FROM canceled AS c
UNION ALL
SELECT false, t.id, t.type, t.data, t.status, t.result, t.error, t.reps, t.units_done,
       t.units_leased, t.attempts, t.failures, t.max_attempts, t.progress, t.run_at,
       t.created_at, t.started_at, t.finished_at, t.updated_at, t.priority, t.key,
            t.schedule
FROM tasks AS t
WHERE t.id = ANY ($1::bigint[]) AND t.id NOT IN (SELECT id FROM canceled)
