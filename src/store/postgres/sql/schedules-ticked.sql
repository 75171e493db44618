-- schedules-ticked: records the ticks of locked schedules (schedules-due): each one's task
-- and next run.
-- Params: $1 text[] names, $2 bigint[] ticks (ms), $3 bigint[] tasks, $4 bigint[] next runs
--         (NULL: no run left), $5 bigint now (ms)
UPDATE schedules AS s SET last_run = i.at, last_task = i.task, next_run = i.next_run,
                          updated_at = $5::bigint
FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[]) AS i (name, at, task, next_run)
WHERE s.name = i.name
