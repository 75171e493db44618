-- prune-tasks: deletes pruned tasks.
-- Params: @ids TEXT (a JSON array of task ids)
DELETE FROM tasks WHERE id IN (SELECT value FROM json_each(@ids))
