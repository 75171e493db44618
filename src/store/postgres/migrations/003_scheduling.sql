-- 003_scheduling: priorities, delayed (scheduled) tasks, unique keys and cron schedules: the
-- SQLite store's 006.
--
-- priority: higher is leased first; ties go by id (submit order). The claim index becomes
-- (type, priority DESC, id), so a claim still walks about `limit` entries per type in the
-- order it hands tasks out. ADD COLUMN with a constant default rewrites nothing.
ALTER TABLE tasks ADD COLUMN priority integer NOT NULL DEFAULT 0;
DROP INDEX tasks_claim;
CREATE INDEX tasks_claim ON tasks (type, priority DESC, id) WHERE ready;

-- A delayed task is 'scheduled', not ready, with run_at its due time: in no claim index until
-- tasks-enqueue-due makes it 'enqueued' and ready. `due` is its due time while it waits, NULL
-- otherwise; this index holds only those tasks. Its own column, not a predicate on status,
-- which every claim and completion changes (a column an index's predicate names is an indexed
-- column: no such update could be HOT any more).
ALTER TABLE tasks ADD COLUMN due bigint;
CREATE INDEX tasks_scheduled ON tasks (due) WHERE due IS NOT NULL;

-- A unique key: key_held while the key is the task's to hold (also after it finished, until a
-- submit after the hold time takes the key over: KEY_HOLD_MS). Submits insert with ON CONFLICT
-- on this index, so concurrent submits of one key on several servers make one task.
ALTER TABLE tasks ADD COLUMN key text;
ALTER TABLE tasks ADD COLUMN key_held boolean NOT NULL DEFAULT false;
CREATE UNIQUE INDEX tasks_key ON tasks (type, key) WHERE key_held;

-- The cron schedule whose tick created the task.
ALTER TABLE tasks ADD COLUMN schedule text;

-- Cron schedules: each tick inserts one task (keyed NAME@TICK); next_run is NULL when the
-- expression has no run left. A tick locks its schedule's row (SKIP LOCKED): one server
-- ticks it.
CREATE TABLE schedules (
  name         text    PRIMARY KEY,
  cron         text    NOT NULL,
  tz           text,
  type         text    NOT NULL,
  data         text    NOT NULL,              -- JSON
  priority     integer NOT NULL,
  max_attempts integer NOT NULL CHECK (max_attempts >= 1),
  next_run     bigint,
  last_run     bigint,
  last_task    bigint,
  created_at   bigint  NOT NULL,
  updated_at   bigint  NOT NULL
);
CREATE INDEX schedules_next_run ON schedules (next_run) WHERE next_run IS NOT NULL;
