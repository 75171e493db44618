-- 008_task_lists: the indexes the dashboard's task list walks (keyset pagination, newest
-- first: WHERE (created_at, id) < (?, ?) ORDER BY created_at DESC, id DESC).
--
-- tasks_created holds every task, and is written once per task (created_at never changes):
-- an append at the index's end, as the rowid's is. tasks_failed holds the finished tasks
-- that have an error (failed for good, or finished after a failed attempt), so the list of
-- failures (the page an operator opens first) reads no task that simply succeeded. Its
-- predicate names finished_at and error, not status: a lease and a completion change status
-- (SQLite re-checks a partial index whose predicate names a changed column; main measured
-- about 0.5 us a task for such an index), while error changes only on a failure and
-- finished_at once per task.
CREATE INDEX tasks_created ON tasks (created_at, id);
CREATE INDEX tasks_failed ON tasks (created_at, id)
  WHERE finished_at IS NOT NULL AND error IS NOT NULL;
