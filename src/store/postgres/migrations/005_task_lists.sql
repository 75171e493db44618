-- 005_task_lists: the indexes the dashboard's task list walks (keyset pagination, newest
-- first: WHERE (created_at, id) < ($1, $2) ORDER BY created_at DESC, id DESC), as SQLite's
-- 008. tasks_created holds every task and gets one entry per task (created_at never
-- changes). tasks_failed holds the finished tasks that have an error (failed for good, or
-- finished after a failed attempt). Its predicate names finished_at (already indexed by
-- tasks_run_at's predicate) and error, which only a failure changes, and a failure changes
-- ready and run_at too: no update that was HOT before stops being so. (Plain CREATE INDEX:
-- migrations run in a transaction. On a large existing table, create them CONCURRENTLY by
-- hand first; IF NOT EXISTS then skips them.)
CREATE INDEX IF NOT EXISTS tasks_created ON tasks (created_at, id);
CREATE INDEX IF NOT EXISTS tasks_failed ON tasks (created_at, id)
  WHERE finished_at IS NOT NULL AND error IS NOT NULL;
