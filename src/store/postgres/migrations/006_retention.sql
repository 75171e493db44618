-- 006_retention: what retention (pruning finished tasks) reads and keeps.
--
-- tasks_finished: the finished tasks in finish-time order, (finished_at, id) being the
-- pruner's keyset. Partial: a task enters it once, when it finishes. A completion already
-- changes finished_at, which tasks_failed's predicate names, so it was never a HOT update:
-- this index adds one entry per finished task, and nothing to a claim or a lease (measured
-- in docs/benchmarks.md).
CREATE INDEX IF NOT EXISTS tasks_finished ON tasks (finished_at, id)
  WHERE finished_at IS NOT NULL;

-- The highest task and tally ids retention deleted: a missing id at or below its mark was
-- pruned (TASK_PRUNED), one above it never existed. Raised in the prune's own transaction,
-- so every server sharing the database reads the same marks.
CREATE TABLE retention_marks (
  what   text   PRIMARY KEY,                  -- 'task' | 'tally'
  pruned bigint NOT NULL
);
INSERT INTO retention_marks (what, pruned) VALUES ('task', 0), ('tally', 0);
