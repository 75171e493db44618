-- retries-of-task: who retried a task and when, oldest first.
-- Params: @taskId INTEGER
SELECT at, by_whom, was FROM task_retries WHERE task_id = @taskId ORDER BY at
