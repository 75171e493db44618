-- 007_operator: per-task timeouts, paused task types and the log of retries: the SQLite
-- store's 010.
--
-- timeout_ms: how long one attempt may run (ms); NULL: no limit of its own (the server's
-- per-type default, if any). Enforced by the server that holds the lease. ADD COLUMN
-- without a default rewrites nothing.
ALTER TABLE tasks ADD COLUMN timeout_ms bigint;

-- Task types no claim hands out until resumed; every server reads this table at start and
-- again when a NOTIFY says it changed ("p" in the payload).
CREATE TABLE paused_types (
  type      text   PRIMARY KEY,
  paused_at bigint NOT NULL
);

-- Who put a finished task back in the queue, and when. Deleted with its task.
CREATE TABLE task_retries (
  task_id bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  at      bigint NOT NULL,
  by_whom text   NOT NULL,
  was     text   NOT NULL
);
CREATE INDEX task_retries_task ON task_retries (task_id, at);
