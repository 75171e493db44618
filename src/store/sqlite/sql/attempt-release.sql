-- attempt-release: ends, as released, an attempt row left active by a server of schema 003
-- (before attempts were written only when they end). Recovery at start runs it.
-- Params: @taskId INTEGER, @n INTEGER, @now INTEGER (ms)
UPDATE attempts SET state = 'released', ended_at = @now
WHERE task_id = @taskId AND n = @n AND state = 'active'
