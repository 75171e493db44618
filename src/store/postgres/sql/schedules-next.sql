-- schedules-next: the earliest next run of any schedule (NULL when none).
-- Params: none
SELECT min(next_run) AS next_run FROM schedules WHERE next_run IS NOT NULL
