-- tasks-claim: leases up to $3 runnable tasks of the given types, the highest priority first
-- and, among equal priorities, the oldest (lowest id) first:
-- one unit of each (one more attempt), with one active lease per task (on the task's row
-- for a single-unit task, else a row of leases). One statement, so
-- one round trip whatever the count.
-- Each type's range of the index tasks_claim (type, priority DESC, id) is walked separately
-- (LATERAL), in that order,
-- so it reads about $3 rows per type however long the queue is (plus the entries of tasks
-- claimed since the last vacuum, which index scans mark dead and then skip). Rows are locked with
-- SKIP LOCKED: servers claiming at the same time take different tasks and never wait for
-- each other; a task another transaction holds is simply not leased this time. A task
-- leased and committed by another server since this statement began is re-checked when
-- locked (no longer ready, or fully leased) and skipped, so no unit is leased twice.
-- Params: $1 text[] types (distinct), $2 bigint now (ms), $3 integer limit,
--         $4 bigint task id not to lease (0 for none), $5 text worker, $6 bigint deadline (ms)
-- Returns: token, task_id, type, data, reps, attempt (the new lease's attempt number),
-- priority, key, schedule, run_at (when the task became runnable), timeout_ms (the task's
-- attempt timeout, NULL for none), in claim order; tokens
-- ascend in that order.
WITH candidates AS (
  SELECT c.id, c.priority
  FROM unnest($1::text[]) AS w (type)
  CROSS JOIN LATERAL (
    SELECT id, priority
    FROM tasks
    -- type between w.type and w.type, not =, and ORDER BY type, priority DESC, id: the same
    -- rows in the same order, but only tasks_claim delivers them so, and the planner cannot choose
    -- to walk the primary key instead (filtering every task ever queued in id order). With
    -- `type = w.type` it may: the type would be a known constant, and ORDER BY priority
    -- DESC, id alone.
    -- A task runnable from its submit (run_at = created_at) is runnable whatever this
    -- server's clock says; a retry waits for its run_at.
    WHERE ready AND type >= w.type AND type <= w.type
      AND (run_at <= $2::bigint OR run_at = created_at)
      AND id <> $4::bigint
    ORDER BY type, priority DESC, id
    LIMIT $3::integer
    FOR NO KEY UPDATE SKIP LOCKED
  ) AS c
  ORDER BY c.priority DESC, c.id
  LIMIT $3::integer
),
-- Tokens are drawn first and handed out sorted in claim order (as task-insert does ids), so
-- they ascend in that order whatever order PostgreSQL updates the rows in. Paired by
-- position in two arrays, not by a join: a generic plan would join the two lists nested,
-- each row against every other.
pairs AS (
  SELECT array_agg(c.id ORDER BY c.priority DESC, c.id) AS ids,
         (SELECT array_agg(d.token ORDER BY d.token)
          FROM (SELECT nextval('leases_token_seq') AS token FROM candidates) AS d) AS tokens
  FROM candidates AS c
),
-- A single-unit task's lease is written on its row (migration 008); a multi-unit task's is a
-- row of leases.
leased AS (
  UPDATE tasks AS t SET
    attempts         = t.attempts + 1,
    units_leased     = t.units_leased + 1,
    status           = 'processing',
    started_at       = coalesce(t.started_at, $2::bigint),
    ready            = (t.units_done + t.units_leased + 1 < t.reps),
    updated_at       = $2::bigint,
    lease_token      = CASE WHEN t.reps = 1 THEN
                         (SELECT p.tokens[array_position(p.ids, t.id)] FROM pairs AS p)
                       END,
    lease_worker     = CASE WHEN t.reps = 1 THEN $5::text END,
    lease_deadline   = CASE WHEN t.reps = 1 THEN $6::bigint END,
    lease_started_at = CASE WHEN t.reps = 1 THEN $2::bigint END
  -- By id through the primary key: a join with candidates may be planned as a scan of
  -- every task (the plan is made once, not knowing $3).
  WHERE t.id = ANY (ARRAY(SELECT id FROM candidates))
  RETURNING (SELECT p.tokens[array_position(p.ids, t.id)] FROM pairs AS p) AS token, t.id,
            t.type, t.data, t.reps, t.attempts, t.priority, t.key, t.schedule, t.run_at,
            t.timeout_ms
),
inserted AS (
  INSERT INTO leases (token, task_id, n, worker, state, deadline, started_at)
  OVERRIDING SYSTEM VALUE
  SELECT token, id, attempts, $5::text, 'active', $6::bigint, $2::bigint
  FROM leased
  WHERE reps > 1
)
SELECT l.token, l.id AS task_id, l.type, l.data, l.reps, l.attempts AS attempt, l.priority,
       l.key, l.schedule, l.run_at, l.timeout_ms
FROM leased AS l
ORDER BY l.priority DESC, l.id
