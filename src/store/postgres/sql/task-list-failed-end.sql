-- task-list-failed-end: where the window of task-list-failed ends: the $5-th entry of
-- tasks_failed of the time range below the cursor (nothing when fewer are left). A page that
-- matched fewer than its limit continues from here. Reads index entries (tasks_failed), at
-- most $5 of them.
-- Params: $1 bigint below, $2 bigint at least, $3 bigint from, $4 bigint to, $5 integer scan
SELECT id FROM tasks
WHERE id < $1::bigint AND id >= $2::bigint
  AND created_at >= $3::bigint AND created_at < $4::bigint
  AND finished_at IS NOT NULL AND error IS NOT NULL
ORDER BY id DESC
LIMIT 1 OFFSET $5::integer - 1
