-- 010_operator: what an operator does to the queue: per-task timeouts, paused task types,
-- and the log of retries.
--
-- timeout_ms: how long one attempt of the task may run (ms), NULL for no limit of its own
-- (the server's per-type default, if any, applies). A lease carries it to the server that
-- holds it, which enforces it (server/scheduling/timeouts.ts). A nullable column without a
-- default adds nothing to existing rows and one header byte to new ones.
ALTER TABLE tasks ADD COLUMN timeout_ms INTEGER;

-- Task types no claim hands out until they are resumed. Read at start and after each change;
-- the claim path reads memory, not this table.
CREATE TABLE paused_types (
  type      TEXT    PRIMARY KEY,
  paused_at INTEGER NOT NULL
) WITHOUT ROWID;

-- Who put a finished task back in the queue, and when (`taskwire retry`): the attempt log
-- shows these beside the attempts. Deleted with the task (retention prunes tasks).
CREATE TABLE task_retries (
  task_id    INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  at         INTEGER NOT NULL,
  by_whom    TEXT    NOT NULL,
  -- The status the task left (failed or canceled).
  was        TEXT    NOT NULL,
  PRIMARY KEY (task_id, at, by_whom)
) WITHOUT ROWID;
