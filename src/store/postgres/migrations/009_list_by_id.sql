-- 009_list_by_id: the task list pages by id (newest first), not by (created_at, id), as
-- SQLite's 011.
--
-- Ids come from the table's identity in insert order and a task's created_at is its batch's
-- time, so the two orders agree (up to the servers' clocks: task-lists.ts reads a time
-- range's ids with a margin and filters on created_at exactly). The list walks the primary
-- key and a time range becomes a range of ids (task-id-at.sql). tasks_created (created_at,
-- id) got an entry on every row write of a task (the claim's and the completion's updates are
-- not HOT: they change columns other indexes name), three of the ten a task cost, for the
-- list alone: it goes. tasks_failed is keyed by id for the same walk; it holds only finished
-- tasks with an error. (Plain DROP and CREATE INDEX: migrations run in a transaction. On a
-- large table, the index build holds a lock on the table while it runs.)
DROP INDEX IF EXISTS tasks_created;
DROP INDEX IF EXISTS tasks_failed;
CREATE INDEX tasks_failed ON tasks (id) WHERE finished_at IS NOT NULL AND error IS NOT NULL;
