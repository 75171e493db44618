-- 005_task_lists: the indexes the dashboard's task list walks (keyset pagination, newest
-- first: WHERE (created_at, id) < ($1, $2) ORDER BY created_at DESC, id DESC), as SQLite's 008.
--
-- tasks_created holds every task and gets one entry per task (created_at never changes).
-- tasks_failed holds only tasks that failed for good. Its predicate names status, which
-- makes status an indexed column for HOT updates; the updates that change status change
-- ready or finished_at too (already indexed by tasks_claim and tasks_run_at), so no update
-- that was HOT before stops being so. (Plain CREATE INDEX: migrations run in a transaction.
-- On a large existing table, create them CONCURRENTLY by hand first; IF NOT EXISTS skips.)
CREATE INDEX IF NOT EXISTS tasks_created ON tasks (created_at, id);
CREATE INDEX IF NOT EXISTS tasks_failed ON tasks (created_at, id) WHERE status = 'failed';
