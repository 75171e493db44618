-- 006_scheduling: priorities, delayed (scheduled) tasks, unique keys and cron schedules.
--
-- priority: higher is leased first; ties go by id (submit order). The claim index becomes
-- (type, priority DESC, id), so a claim still walks about `limit` entries of its type in the
-- order it hands tasks out, however long the queue (a plain 0 costs one header byte).
ALTER TABLE tasks ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
DROP INDEX tasks_claim;
CREATE INDEX tasks_claim ON tasks (type, priority DESC, id) WHERE ready = 1;

-- A delayed task is 'scheduled' with ready = 0 and run_at its due time: it is in no claim
-- index until tasks-enqueue-due makes it 'enqueued' and ready. `due` is its due time while it
-- waits, NULL otherwise, and this index holds only those tasks: the earliest due one, for the
-- scheduler's one timer, and the due ones, in due order. Its own column, not a predicate on
-- status: SQLite maintains a partial index on every update of a column its WHERE names, and
-- every claim and completion changes status (measured: about 0.5 µs more per task).
ALTER TABLE tasks ADD COLUMN due INTEGER;
CREATE INDEX tasks_scheduled ON tasks (due) WHERE due IS NOT NULL;

-- A unique key: key_held is 1 while the key is the task's to hold (it stays 1 after the task
-- finished, until a submit after the hold time takes the key over: see KEY_HOLD_MS), and the
-- unique index makes two holders of one key of one type impossible. key stays for status.
ALTER TABLE tasks ADD COLUMN key TEXT;
ALTER TABLE tasks ADD COLUMN key_held INTEGER NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX tasks_key ON tasks (type, key) WHERE key_held = 1;

-- The cron schedule whose tick created the task.
ALTER TABLE tasks ADD COLUMN schedule TEXT;

-- Cron schedules: each tick inserts one task (keyed NAME@TICK). next_run is NULL when the
-- expression has no run left.
CREATE TABLE schedules (
  name         TEXT    PRIMARY KEY,
  cron         TEXT    NOT NULL,
  tz           TEXT,
  type         TEXT    NOT NULL,
  data         TEXT    NOT NULL,              -- JSON
  priority     INTEGER NOT NULL,
  max_attempts INTEGER NOT NULL CHECK (max_attempts >= 1),
  next_run     INTEGER,
  last_run     INTEGER,
  last_task    INTEGER,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX schedules_next_run ON schedules (next_run) WHERE next_run IS NOT NULL;
