-- schedule-get: one schedule by name; no row when there is none.
-- Params: @name TEXT
SELECT name, cron, tz, type, data, priority, max_attempts, next_run, last_run, last_task,
       created_at, updated_at
FROM schedules
WHERE name = @name
