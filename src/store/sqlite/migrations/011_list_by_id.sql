-- 011_list_by_id: the task list pages by id (newest first), not by (created_at, id).
--
-- Ids are handed out in commit order and a task's created_at is its batch's time, so the two
-- orders agree; the list walks the table's own key (the rowid) and a time range becomes a
-- range of ids (task-id-at.sql). tasks_created (created_at, id) had one entry per task, a
-- page write on every submit, for the list alone: it goes. tasks_failed is keyed by id for
-- the same walk; it holds only finished tasks with an error, so rebuilding it is cheap.
DROP INDEX IF EXISTS tasks_created;
DROP INDEX IF EXISTS tasks_failed;
CREATE INDEX tasks_failed ON tasks (id) WHERE finished_at IS NOT NULL AND error IS NOT NULL;
