-- prune-tasks: deletes pruned tasks.
-- Params: $1 bigint[] task ids
DELETE FROM tasks WHERE id = ANY($1::bigint[])
