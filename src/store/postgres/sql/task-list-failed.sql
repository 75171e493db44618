-- task-list-failed: task-list for the tasks that failed for good, on the partial index
-- tasks_failed (finished tasks with an error), so a list of failures reads no task that
-- simply succeeded (the status filter keeps the failed ones). Keyset
-- pagination: the window is the next $8 entries after the cursor, and the outer
-- LIMIT stops reading it once $9 rows matched, so a page costs at most $8 rows however deep
-- it is (page 1,000 as page 1) and however sparse the matches. The column order is
-- TASK_COLUMNS in rows.ts (rows come back as arrays). $7 is lower case; it matches the id
-- exactly, or a substring of the data, result, error or key.
-- Params: $1 bigint, $2 bigint (the cursor: created_at, id; the largest values for page 1),
--         $3 bigint from, $4 bigint to (created_at range, ms, [from, to)), $5 text type or
--         NULL, $6 text[] statuses or NULL, $7 text q or NULL, $8 integer scan, $9 integer
--         limit
SELECT id, type, data, status, result, error, reps, units_done, units_leased, attempts,
       failures, max_attempts, progress, run_at, created_at, started_at, finished_at,
       updated_at, priority, key, schedule
FROM (
  SELECT * FROM tasks
  WHERE (created_at, id) < ($1::bigint, $2::bigint)
    AND created_at >= $3::bigint AND created_at < $4::bigint
    AND finished_at IS NOT NULL AND error IS NOT NULL
  ORDER BY created_at DESC, id DESC
  LIMIT $8::integer
) AS w
WHERE true
  AND ($5::text IS NULL OR type = $5::text)
  AND ($6::text[] IS NULL OR status = ANY ($6::text[]))
  AND ($7::text IS NULL OR id::text = $7::text OR strpos(lower(data), $7::text) > 0
       OR strpos(lower(coalesce(result, '')), $7::text) > 0
       OR strpos(lower(coalesce(error, '')), $7::text) > 0
       OR strpos(lower(coalesce(key, '')), $7::text) > 0)
ORDER BY created_at DESC, id DESC
LIMIT $9::integer
