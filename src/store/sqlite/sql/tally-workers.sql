-- tally-workers: the distinct workers with at least one done attempt on a tally's tasks,
-- sorted.
-- Params: @id INTEGER
SELECT DISTINCT a.worker
FROM tasks AS t
JOIN attempts AS a ON a.task_id = t.id
WHERE t.tally_id = @id AND a.state = 'done'
ORDER BY a.worker
