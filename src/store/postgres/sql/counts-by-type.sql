-- counts-by-type: the number of tasks of each type in each status that has any. A scan of
-- the table: run in the background to reconcile the metrics' counts, never per request.
-- Params: none
SELECT type, status, count(*) AS n FROM tasks GROUP BY type, status
