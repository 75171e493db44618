-- prune-attempts: deletes the attempts of pruned tasks (before the tasks: attempts.task_id
-- references tasks).
-- Params: @ids TEXT (a JSON array of task ids)
DELETE FROM attempts WHERE task_id IN (SELECT value FROM json_each(@ids))
