-- schedules-due: the schedules whose next run is due, the earliest first, at most @limit.
-- Params: @now INTEGER (ms), @limit INTEGER
SELECT name, cron, tz, type, data, priority, max_attempts, next_run, last_run, last_task,
       created_at, updated_at
FROM schedules
WHERE next_run IS NOT NULL AND next_run <= @now
ORDER BY next_run
LIMIT @limit
