-- 008_task_lists: the indexes the dashboard's task list walks (keyset pagination, newest
-- first: WHERE (created_at, id) < (?, ?) ORDER BY created_at DESC, id DESC).
--
-- tasks_created holds every task, and is written once per task (created_at never changes):
-- an append at the index's end, as the rowid's is. tasks_failed holds only tasks that failed
-- for good, so the list of failures (the page an operator opens first) reads failures only,
-- however many tasks succeeded; a task enters it once, when it fails for good.
CREATE INDEX tasks_created ON tasks (created_at, id);
CREATE INDEX tasks_failed ON tasks (created_at, id) WHERE status = 'failed';
