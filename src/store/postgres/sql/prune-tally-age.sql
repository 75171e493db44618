-- prune-tally-age: what a tally's tasks say about its retention (through tasks_tally).
-- Params: $1 bigint tally id
SELECT count(*) AS tasks,
       count(finished_at) AS finished,
       max(finished_at) AS last_finished_at,
       coalesce(bool_or(status = 'failed'), false) AS failed
FROM tasks
WHERE tally_id = $1
