-- prune-leases: deletes the leases (attempts) of pruned tasks, before the tasks (they
-- reference them), through leases_task.
-- Params: $1 bigint[] task ids
DELETE FROM leases WHERE task_id = ANY($1::bigint[])
