-- prune-marks-raise: raises the pruned marks (never lowers them).
-- Params: $1 bigint highest pruned task id, $2 bigint highest pruned tally id
UPDATE retention_marks
SET pruned = greatest(pruned, CASE what WHEN 'task' THEN $1::bigint ELSE $2::bigint END)
