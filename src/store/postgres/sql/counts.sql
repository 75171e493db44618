-- counts: the number of tasks in each status that has any.
-- Params: none
SELECT status, count(*) AS n FROM tasks GROUP BY status
