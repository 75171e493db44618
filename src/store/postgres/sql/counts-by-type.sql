-- counts-by-type: the number of tasks of each type in each status that has any, among the
-- tasks with ids in ($1, $2]: a range of the primary key, so the metrics' background
-- reconcile counts a large table in slices.
-- Params: $1 bigint after id, $2 bigint to id
SELECT type, status, count(*) AS n FROM tasks
WHERE id > $1::bigint AND id <= $2::bigint
GROUP BY type, status
