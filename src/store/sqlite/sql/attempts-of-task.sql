-- attempts-of-task: the ended attempts of one task, in attempt order (the active ones are in
-- memory): the rows of attempts, and the attempt kept on the task's row when it completed a
-- single-unit task (see task-done). Rows come back as objects with the columns of LeaseRow
-- in rows.ts.
-- Params: @taskId INTEGER
SELECT token, task_id, n, worker, state, deadline, started_at, ended_at, units, error
FROM attempts
WHERE task_id = @taskId
UNION ALL
SELECT done_token, id, done_n, done_worker, 'done', done_deadline, done_started_at, finished_at,
       units_done, NULL
FROM tasks
WHERE id = @taskId AND done_token IS NOT NULL
ORDER BY n
