-- prune-tally-age: what a tally's tasks say about its retention (through tasks_tally).
-- Params: @id INTEGER (the tally)
SELECT COUNT(*) AS tasks,
       COUNT(finished_at) AS finished,
       MAX(finished_at) AS last_finished_at,
       coalesce(MAX(status = 'failed'), 0) AS failed
FROM tasks
WHERE tally_id = @id
