-- tally-task-insert: enqueues the tasks of a new tally, one per key, runnable at once, with
-- ids ascending in key order (so claim hands out key 0 first). Data is the JSON text
-- `{"tally":ID,"key":N}`, as JSON.stringify writes it.
-- Params: $1 bigint tally id, $2 integer keys, $3 integer reps, $4 integer max attempts,
--         $5 bigint now (ms)
WITH drawn AS (
  SELECT nextval('tasks_id_seq') AS id FROM generate_series(1, $2::integer)
),
numbered AS (
  SELECT id, row_number() OVER (ORDER BY id) - 1 AS key FROM drawn
)
INSERT INTO tasks (id, type, data, status, ready, run_at, reps, max_attempts, created_at,
                   updated_at, tally_id)
OVERRIDING SYSTEM VALUE
SELECT id, 'tally', '{"tally":' || $1::bigint || ',"key":' || key || '}', 'enqueued', true,
       $5, $3, $4, $5, $5, $1
FROM numbered
