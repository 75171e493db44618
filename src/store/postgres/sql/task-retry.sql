-- task-retry: puts failed or canceled tasks back in the queue: enqueued and runnable now,
-- with a fresh failure budget (failures 0; attempts keeps counting, so attempt numbers go
-- on and the leases, the log, stay), and logs each retry in task_retries. Not a task with
-- a unit still leased (a multi-unit task that failed while other attempts ran).
-- Params: $1 bigint[] task ids (distinct), $2 bigint now (ms), $3 text by whom
-- Returns: retried (boolean), was (its status before), then the task in TASK_COLUMNS order
-- (after the retry when retried). No row for a missing id.
WITH before AS (
  SELECT id, status FROM tasks WHERE id = ANY ($1::bigint[]) ORDER BY id FOR NO KEY UPDATE
),
retried AS (
  UPDATE tasks AS t SET status = 'enqueued', ready = true, run_at = $2::bigint, due = NULL,
                        failures = 0, progress = NULL, finished_at = NULL,
                        updated_at = $2::bigint
  FROM before AS b
  WHERE t.id = b.id AND b.status IN ('failed', 'canceled') AND t.units_leased = 0
  RETURNING b.status AS was, t.id, t.type, t.data, t.status, t.result, t.error, t.reps,
            t.units_done, t.units_leased, t.attempts, t.failures, t.max_attempts, t.progress,
            t.run_at, t.created_at, t.started_at, t.finished_at, t.updated_at, t.priority,
            t.key, t.schedule
),
logged AS (
  INSERT INTO task_retries (task_id, at, by_whom, was)
  SELECT id, $2::bigint, $3::text, was FROM retried
)
SELECT true AS retried, r.*
FROM retried AS r
UNION ALL
SELECT false, b.status, t.id, t.type, t.data, t.status, t.result, t.error, t.reps,
       t.units_done, t.units_leased, t.attempts, t.failures, t.max_attempts, t.progress,
       t.run_at, t.created_at, t.started_at, t.finished_at, t.updated_at, t.priority, t.key,
       t.schedule
FROM before AS b
JOIN tasks AS t ON t.id = b.id
WHERE b.id NOT IN (SELECT id FROM retried)
