-- task-list-failed: task-list for the tasks that failed for good, on the partial index
-- tasks_failed (finished tasks with an error), so a list of failures reads no task that
-- simply succeeded (the status filter keeps the failed ones). Keyset
-- pagination on the primary key, newest first: the window is the next $8 tasks of the time
-- range below the cursor, among the ids the range spans ($1, $2: task-lists.ts reads them
-- for the range widened by a margin for the servers' clocks, see task-id-at.sql), and the
-- outer LIMIT stops reading it once $9 rows matched, so a page costs at most $8 rows (and
-- those of the margin's tasks it passes over) however deep it is (page 1,000 as page 1) and
-- however sparse the matches. The column order is TASK_COLUMNS in rows.ts (rows come back as
-- arrays). $7 is lower case; it matches the id exactly, or a substring of
-- the data, result, error or key.
-- Params: $1 bigint below (ids below it: the cursor, or the range's end), $2 bigint at least,
--         $3 bigint from, $4 bigint to (created_at range, ms, [from, to)), $5 text type or
--         NULL, $6 text[] statuses or NULL, $7 text q or NULL, $8 integer scan, $9 integer
--         limit
SELECT id, type, data, status, result, error, reps, units_done, units_leased, attempts,
       failures, max_attempts, progress, run_at, created_at, started_at, finished_at,
       updated_at, priority, key, schedule
FROM (
  SELECT * FROM tasks
  WHERE id < $1::bigint AND id >= $2::bigint
    AND created_at >= $3::bigint AND created_at < $4::bigint
    AND finished_at IS NOT NULL AND error IS NOT NULL
  ORDER BY id DESC
  LIMIT $8::integer
) AS w
WHERE true
  AND ($5::text IS NULL OR type = $5::text)
  AND ($6::text[] IS NULL OR status = ANY ($6::text[]))
  AND ($7::text IS NULL OR id::text = $7::text OR strpos(lower(data), $7::text) > 0
       OR strpos(lower(coalesce(result, '')), $7::text) > 0
       OR strpos(lower(coalesce(error, '')), $7::text) > 0
       OR strpos(lower(coalesce(key, '')), $7::text) > 0)
ORDER BY id DESC
LIMIT $9::integer
