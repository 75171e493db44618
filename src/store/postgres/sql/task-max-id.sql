-- task-max-id: the highest task id (0 for none); one step down the primary key.
-- Params: none
SELECT coalesce(max(id), 0) AS id FROM tasks
