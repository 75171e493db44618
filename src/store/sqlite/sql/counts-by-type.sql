-- counts-by-type: the number of tasks of each type in each status that has any, among the
-- tasks with ids in (@afterId, @toId]: a range of the primary key, so the metrics' background
-- reconcile counts a large table in slices, letting the task port run between them.
-- Params: @afterId INTEGER, @toId INTEGER
SELECT type, status, COUNT(*) AS n FROM tasks
WHERE id > @afterId AND id <= @toId
GROUP BY type, status
