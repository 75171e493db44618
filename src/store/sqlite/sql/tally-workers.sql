-- tally-workers: the distinct workers with at least one done lease on a tally's tasks,
-- sorted.
-- Params: @id INTEGER
SELECT DISTINCT l.worker
FROM tasks AS t
JOIN leases AS l ON l.task_id = t.id
WHERE t.tally_id = @id AND l.state = 'done'
ORDER BY l.worker
