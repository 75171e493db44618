-- schedules-due: locks the schedules whose next run is due, the earliest first, at most $2;
-- first statement of a tick. SKIP LOCKED: a schedule another server is ticking is left to it
-- (and once it committed, its next run is no longer due when this one re-checks it).
-- Params: $1 bigint now (ms), $2 integer limit
SELECT name, cron, tz, type, data, priority, max_attempts, next_run, last_run, last_task,
       created_at, updated_at
FROM schedules
WHERE next_run IS NOT NULL AND next_run <= $1::bigint
ORDER BY next_run
LIMIT $2::integer
FOR UPDATE SKIP LOCKED
