-- task-list-end: where the window of task-list ends: the $5-th task of the time range below
-- the cursor (nothing when fewer are left). A page that matched fewer than its limit continues
-- from here. Reads at most $5 of the range's rows (and the
-- margin's), in primary key order.
-- Params: $1 bigint below, $2 bigint at least, $3 bigint from, $4 bigint to, $5 integer scan
SELECT id FROM tasks
WHERE id < $1::bigint AND id >= $2::bigint
  AND created_at >= $3::bigint AND created_at < $4::bigint
ORDER BY id DESC
LIMIT 1 OFFSET $5::integer - 1
