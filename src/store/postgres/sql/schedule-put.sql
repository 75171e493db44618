-- schedule-put: adds a schedule, or replaces the one of that name: its expression, task and
-- next run change; its last run and creation time stay.
-- Params: $1 text name, $2 text cron, $3 text tz or NULL, $4 text type, $5 text data (JSON),
--         $6 integer priority, $7 integer max attempts, $8 bigint next run or NULL,
--         $9 bigint now (ms)
-- Returns: created (false: it replaced one).
INSERT INTO schedules (name, cron, tz, type, data, priority, max_attempts, next_run, created_at,
                       updated_at)
VALUES ($1::text, $2::text, $3::text, $4::text, $5::text, $6::integer, $7::integer, $8::bigint,
        $9::bigint, $9::bigint)
ON CONFLICT (name) DO UPDATE SET
  cron = excluded.cron,
  tz = excluded.tz,
  type = excluded.type,
  data = excluded.data,
  priority = excluded.priority,
  max_attempts = excluded.max_attempts,
  next_run = excluded.next_run,
  updated_at = excluded.updated_at
RETURNING (xmax = 0) AS created
