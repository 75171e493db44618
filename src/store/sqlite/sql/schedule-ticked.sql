-- schedule-ticked: records a schedule's tick: its task, and its next run.
-- Params: @name TEXT, @at INTEGER (ms, the tick), @task INTEGER, @nextRun INTEGER or NULL,
--         @now INTEGER (ms)
UPDATE schedules SET last_run = @at, last_task = @task, next_run = @nextRun, updated_at = @now
WHERE name = @name
