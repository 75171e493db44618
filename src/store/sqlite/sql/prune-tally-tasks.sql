-- prune-tally-tasks: the tasks of a tally about to be pruned (through tasks_tally).
-- Params: @id INTEGER (the tally)
SELECT id, type, status FROM tasks WHERE tally_id = @id
