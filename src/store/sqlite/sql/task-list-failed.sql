-- task-list-failed: task-list for the tasks that failed for good, on the partial index
-- tasks_failed (finished tasks with an error), so a list of failures reads no task that
-- simply succeeded (the status filter keeps the failed ones). Keyset
-- pagination on the id, newest first: the window is the next @scan tasks of the time range
-- below the cursor, among the ids the range spans (@atLeast, @below: task-lists.ts reads
-- them for the range widened by a margin for the servers' clocks, see task-id-at.sql), and
-- the outer LIMIT stops reading it once @limit rows matched, so a page costs at most @scan
-- rows (and those of the margin's tasks it passes over) however deep it is (page 1,000 as
-- page 1) and however sparse the matches. The column order is TASK_COLUMNS in rows.ts (rows
-- come back as arrays). @q is lower case; it matches the id exactly, or a
-- substring of the data, result, error or key.
-- Params: @below INTEGER (ids below it: the cursor, or the range's end), @atLeast INTEGER,
--         @from INTEGER, @to INTEGER (created_at range, ms, [from, to)), @type TEXT or NULL,
--         @statuses TEXT (JSON array) or NULL, @q TEXT or NULL, @scan INTEGER, @limit INTEGER
SELECT id, type, data, status, result, error, reps, units_done, units_leased, attempts,
       failures, max_attempts, progress, run_at, created_at, started_at, finished_at,
       updated_at, priority, key, schedule
FROM (
  SELECT * FROM tasks INDEXED BY tasks_failed
  WHERE id < @below AND id >= @atLeast AND created_at >= @from AND created_at < @to AND finished_at IS NOT NULL AND error IS NOT NULL
  ORDER BY id DESC
  LIMIT @scan + 0
)
WHERE 1 = 1
  AND (@type IS NULL OR type = @type)
  AND (@statuses IS NULL OR status IN (SELECT value FROM json_each(@statuses)))
  AND (@q IS NULL OR CAST(id AS TEXT) = @q OR instr(lower(data), @q) > 0
       OR instr(lower(coalesce(result, '')), @q) > 0 OR instr(lower(coalesce(error, '')), @q) > 0
       OR instr(lower(coalesce(key, '')), @q) > 0)
ORDER BY id DESC
LIMIT @limit + 0
