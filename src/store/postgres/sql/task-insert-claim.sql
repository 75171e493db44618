-- task-insert-claim: a batch's plain submits and its one claim in one statement (a quiet
-- server's batch: submit-leased.ts), so a new task the claim takes is inserted already
-- leased: one row write instead of task-insert's and tasks-claim's two, and no entry in
-- tasks_claim for a single-unit task. The claim takes, in claim order (priority DESC, id),
-- the stored candidates tasks-claim would see (the same walk of tasks_claim, SKIP LOCKED)
-- and the new tasks of its types (priority 0, and ids newer than every stored task's): a
-- new task goes after the stored ones of priority 0 or more and before those below 0.
-- Ids ascend in input order and tokens in claim order, as task-insert's and tasks-claim's.
-- (Leases of new multi-unit tasks reference rows inserted by this same statement: foreign
-- keys are checked at its end.)
-- Params: $1 text[] types, $2 text[] data (JSON), $3 integer[] reps,
--         $4 integer[] max attempts, $5 bigint now (ms, the submit),
--         $6 text[] claim types (distinct), $7 bigint claim now (ms), $8 integer limit,
--         $9 bigint task id not to lease (0 for none), $10 text worker, $11 bigint deadline
-- Returns: one row per input element first, in input order (ord, task_id; the rest NULL),
-- then one per lease in claim order (ord NULL, token, task_id, type, data, reps, attempt,
-- priority, key, schedule, run_at, timeout_ms: tasks-claim's columns).
WITH input AS (
  SELECT *
  FROM unnest($1::text[], $2::text[], $3::integer[], $4::integer[])
    WITH ORDINALITY AS i (type, data, reps, max_attempts, ord)
),
drawn AS (
  SELECT nextval('tasks_id_seq') AS id FROM input
),
numbered AS (
  SELECT id, row_number() OVER (ORDER BY id) AS ord FROM drawn
),
fresh AS (
  SELECT n.id, i.ord, i.type, i.data, i.reps, i.max_attempts
  FROM input AS i
  JOIN numbered AS n USING (ord)
),
stored AS (
  SELECT c.id, c.priority
  FROM unnest($6::text[]) AS w (type)
  CROSS JOIN LATERAL (
    -- As in tasks-claim (see there why `type between`, and the run_at test).
    SELECT id, priority
    FROM tasks
    WHERE ready AND type >= w.type AND type <= w.type
      AND (run_at <= $7::bigint OR run_at = created_at)
      AND id <> $9::bigint
    ORDER BY type, priority DESC, id
    LIMIT $8::integer
    FOR NO KEY UPDATE SKIP LOCKED
  ) AS c
),
chosen AS (
  SELECT id, priority, is_new
  FROM (
    SELECT id, priority, false AS is_new FROM stored
    UNION ALL
    SELECT id, 0, true FROM fresh WHERE type = ANY ($6::text[])
  ) AS u
  ORDER BY priority DESC, id
  LIMIT $8::integer
),
pairs AS (
  SELECT array_agg(c.id ORDER BY c.priority DESC, c.id) AS ids,
         (SELECT array_agg(d.token ORDER BY d.token)
          FROM (SELECT nextval('leases_token_seq') AS token FROM chosen) AS d) AS tokens
  FROM chosen AS c
),
-- The new tasks, those the claim takes leased as tasks-claim would have leased them.
inserted AS (
  INSERT INTO tasks (id, type, data, status, ready, run_at, reps, max_attempts, created_at,
                     updated_at, attempts, units_leased, started_at, lease_token,
                     lease_worker, lease_deadline, lease_started_at)
  OVERRIDING SYSTEM VALUE
  SELECT f.id, f.type, f.data,
         CASE WHEN l.leased THEN 'processing' ELSE 'enqueued' END,
         NOT l.leased OR f.reps > 1, $5::bigint, f.reps, f.max_attempts, $5::bigint,
         CASE WHEN l.leased THEN $7::bigint ELSE $5::bigint END,
         CASE WHEN l.leased THEN 1 ELSE 0 END,
         CASE WHEN l.leased THEN 1 ELSE 0 END,
         CASE WHEN l.leased THEN $7::bigint END,
         CASE WHEN l.leased AND f.reps = 1 THEN l.token END,
         CASE WHEN l.leased AND f.reps = 1 THEN $10::text END,
         CASE WHEN l.leased AND f.reps = 1 THEN $11::bigint END,
         CASE WHEN l.leased AND f.reps = 1 THEN $7::bigint END
  FROM fresh AS f
  CROSS JOIN LATERAL (
    SELECT p.tokens[array_position(p.ids, f.id)] AS token,
           EXISTS (SELECT 1 FROM chosen AS c WHERE c.id = f.id AND c.is_new) AS leased
    FROM pairs AS p
  ) AS l
  RETURNING id, type, data, reps, attempts
),
-- The stored tasks the claim takes, leased as tasks-claim leases them.
leased AS (
  UPDATE tasks AS t SET
    attempts         = t.attempts + 1,
    units_leased     = t.units_leased + 1,
    status           = 'processing',
    started_at       = coalesce(t.started_at, $7::bigint),
    ready            = (t.units_done + t.units_leased + 1 < t.reps),
    updated_at       = $7::bigint,
    lease_token      = CASE WHEN t.reps = 1 THEN
                         (SELECT p.tokens[array_position(p.ids, t.id)] FROM pairs AS p)
                       END,
    lease_worker     = CASE WHEN t.reps = 1 THEN $10::text END,
    lease_deadline   = CASE WHEN t.reps = 1 THEN $11::bigint END,
    lease_started_at = CASE WHEN t.reps = 1 THEN $7::bigint END
  WHERE t.id = ANY (ARRAY(SELECT id FROM chosen WHERE NOT is_new))
  RETURNING (SELECT p.tokens[array_position(p.ids, t.id)] AS token FROM pairs AS p), t.id,
            t.type, t.data, t.reps, t.attempts, t.priority, t.key, t.schedule, t.run_at,
            t.timeout_ms
),
claimed AS (
  SELECT token, id, type, data, reps, attempts, priority, key, schedule, run_at, timeout_ms
  FROM leased
  UNION ALL
  SELECT (SELECT p.tokens[array_position(p.ids, n.id)] FROM pairs AS p), n.id, n.type,
         n.data, n.reps, 1, 0, NULL::text, NULL::text, $5::bigint, NULL::bigint
  FROM inserted AS n
  WHERE n.attempts = 1
),
-- A multi-unit task's lease is a row of leases (migration 008), stored or new.
lease_rows AS (
  INSERT INTO leases (token, task_id, n, worker, state, deadline, started_at)
  OVERRIDING SYSTEM VALUE
  SELECT token, id, attempts, $10::text, 'active', $11::bigint, $7::bigint
  FROM claimed
  WHERE reps > 1
)
SELECT * FROM (
  SELECT f.ord, NULL::bigint AS token, f.id AS task_id, NULL::text AS type, NULL::text AS data,
         NULL::integer AS reps, NULL::integer AS attempt, NULL::integer AS priority,
         NULL::text AS key, NULL::text AS schedule, NULL::bigint AS run_at,
         NULL::bigint AS timeout_ms
  FROM fresh AS f
  UNION ALL
  SELECT NULL, c.token, c.id, c.type, c.data, c.reps, c.attempts, c.priority, c.key,
         c.schedule, c.run_at, c.timeout_ms
  FROM claimed AS c
) AS out
ORDER BY ord NULLS LAST, priority DESC, task_id
