-- task-insert: enqueues new tasks, runnable at once, with ids ascending in input order.
-- The ids are drawn from the sequence first and then handed out sorted, by input position
-- (WITH ORDINALITY), so the order never depends on how PostgreSQL orders the rows it
-- inserts; the ids come back ordered by that same position.
-- Params: $1 text[] types, $2 text[] data (JSON), $3 integer[] reps,
--         $4 integer[] max attempts, $5 bigint now (ms)
-- Returns: id, one row per input element, in input order.
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
inserted AS (
  INSERT INTO tasks (id, type, data, status, ready, run_at, reps, max_attempts, created_at,
                     updated_at)
  OVERRIDING SYSTEM VALUE
  SELECT n.id, i.type, i.data, 'enqueued', true, $5, i.reps, i.max_attempts, $5, $5
  FROM input AS i
  JOIN numbered AS n USING (ord)
)
SELECT id FROM numbered ORDER BY ord
