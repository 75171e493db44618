-- prune-marks: the highest task and tally ids retention deleted.
-- Params: none
-- Returns: task bigint, tally bigint
SELECT coalesce(max(pruned) FILTER (WHERE what = 'task'), 0) AS task,
       coalesce(max(pruned) FILTER (WHERE what = 'tally'), 0) AS tally
FROM retention_marks
