-- schedule-put: adds a schedule, or replaces the one of that name: its expression, task and
-- next run change; its last run and creation time stay.
-- Params: @name TEXT, @cron TEXT, @tz TEXT or NULL, @type TEXT, @data TEXT (JSON),
--         @priority INTEGER, @maxAttempts INTEGER, @nextRun INTEGER (ms) or NULL,
--         @now INTEGER (ms)
INSERT INTO schedules (name, cron, tz, type, data, priority, max_attempts, next_run, created_at,
                       updated_at)
VALUES (@name, @cron, @tz, @type, @data, @priority, @maxAttempts, @nextRun, @now, @now)
ON CONFLICT (name) DO UPDATE SET
  cron = excluded.cron,
  tz = excluded.tz,
  type = excluded.type,
  data = excluded.data,
  priority = excluded.priority,
  max_attempts = excluded.max_attempts,
  next_run = excluded.next_run,
  updated_at = excluded.updated_at
