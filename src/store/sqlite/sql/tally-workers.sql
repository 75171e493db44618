-- tally-workers: the distinct workers with at least one done attempt on a tally's tasks,
-- sorted: in attempts, or kept on the task's row (a tally of one rep; see task-done).
-- Params: @id INTEGER
SELECT a.worker
FROM tasks AS t
JOIN attempts AS a ON a.task_id = t.id
WHERE t.tally_id = @id AND a.state = 'done'
UNION
SELECT t.done_worker
FROM tasks AS t
WHERE t.tally_id = @id AND t.done_worker IS NOT NULL
ORDER BY 1
