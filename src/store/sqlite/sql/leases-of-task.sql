-- leases-of-task: the attempt log of one task, in attempt order.
-- Params: @taskId INTEGER
SELECT * FROM leases WHERE task_id = @taskId ORDER BY n
