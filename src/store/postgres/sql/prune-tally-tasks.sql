-- prune-tally-tasks: locks and reads the tasks of a tally about to be pruned.
-- Params: $1 bigint tally id
SELECT id, type, status FROM tasks WHERE tally_id = $1 FOR UPDATE
