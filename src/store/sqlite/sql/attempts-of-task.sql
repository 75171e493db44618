-- attempts-of-task: the ended attempts of one task, in attempt order (the active ones are in
-- memory). Rows come back as objects with the columns of LeaseRow in rows.ts.
-- Params: @taskId INTEGER
SELECT token, task_id, n, worker, state, deadline, started_at, ended_at, units, error
FROM attempts
WHERE task_id = @taskId
ORDER BY n
