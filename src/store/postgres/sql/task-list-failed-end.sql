-- task-list-failed-end: where the window of task-list-failed ends: the $5-th entry after the cursor
-- (nothing when fewer are left). A page that matched fewer than its limit continues from
-- here. Reads index entries (tasks_failed), at most $5 of them.
-- Params: $1 bigint, $2 bigint (the cursor), $3 bigint from, $4 bigint to, $5 integer scan
SELECT created_at, id FROM tasks
WHERE (created_at, id) < ($1::bigint, $2::bigint)
  AND created_at >= $3::bigint AND created_at < $4::bigint
  AND finished_at IS NOT NULL AND error IS NOT NULL
ORDER BY created_at DESC, id DESC
LIMIT 1 OFFSET $5::integer - 1
