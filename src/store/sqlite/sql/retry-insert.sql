-- retry-insert: logs a retry of a task: when, by whom, from which status.
-- Params: @taskId INTEGER, @at INTEGER (ms), @by TEXT, @was TEXT ('failed' | 'canceled')
INSERT INTO task_retries (task_id, at, by_whom, was) VALUES (@taskId, @at, @by, @was)
ON CONFLICT DO NOTHING
