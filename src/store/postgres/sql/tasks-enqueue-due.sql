-- tasks-enqueue-due: makes scheduled tasks that are due enqueued and ready, the earliest due
-- first, at most $2, through tasks_scheduled (due is set only while a task is scheduled). SKIP LOCKED: servers doing this at the same
-- moment take different tasks and never wait; a task enqueued by another server since this
-- statement began is re-checked when locked (no longer scheduled) and left out, so each is
-- enqueued once. run_at stays the due time.
-- Params: $1 bigint now (ms), $2 integer limit
-- Returns: id, type of each task enqueued.
WITH due AS (
  SELECT id
  FROM tasks
  WHERE due IS NOT NULL AND due <= $1::bigint
  ORDER BY due
  LIMIT $2::integer
  FOR NO KEY UPDATE SKIP LOCKED
)
UPDATE tasks AS t SET status = 'enqueued', ready = true, due = NULL, updated_at = $1::bigint
WHERE t.id = ANY (ARRAY(SELECT id FROM due)) AND t.due IS NOT NULL
RETURNING t.id, t.type
