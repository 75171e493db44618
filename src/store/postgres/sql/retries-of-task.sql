-- retries-of-task: who retried a task and when, oldest first.
-- Params: $1 bigint task id
SELECT at, by_whom, was FROM task_retries WHERE task_id = $1::bigint ORDER BY at
