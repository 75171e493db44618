-- task-max-id: the highest task id (0 for none); one step down the primary key.
-- Params: none
SELECT coalesce(MAX(id), 0) FROM tasks
