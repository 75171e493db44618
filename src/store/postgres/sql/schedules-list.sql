-- schedules-list: every schedule, by name.
-- Params: none
SELECT name, cron, tz, type, data, priority, max_attempts, next_run, last_run, last_task,
       created_at, updated_at
FROM schedules
ORDER BY name
