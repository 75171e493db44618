-- 001_init: tasks and their leases (one lease per attempt).
--
-- Neither table is ever pruned of its highest row, so INTEGER PRIMARY KEY (the rowid) never
-- hands out an id twice: task ids ascend, and a lease token fences exactly one attempt.
-- (AUTOINCREMENT would guarantee that even after deletes, at a cost on every insert.)

CREATE TABLE tasks (
  id           INTEGER PRIMARY KEY,
  type         TEXT    NOT NULL,
  data         TEXT    NOT NULL,              -- JSON
  -- 'enqueued' | 'processing' | 'done' | 'failed' | 'canceled'. No CHECK on this or on
  -- leases.state: the store is their only writer, and the check costs ~15% of claim+complete.
  status       TEXT    NOT NULL,
  -- 1 while a unit of the task may be leased once run_at <= now.
  ready        INTEGER NOT NULL CHECK (ready IN (0, 1)),
  run_at       INTEGER NOT NULL,
  reps         INTEGER NOT NULL CHECK (reps >= 1),
  units_done   INTEGER NOT NULL DEFAULT 0,
  units_leased INTEGER NOT NULL DEFAULT 0 CHECK (units_leased >= 0),
  attempts     INTEGER NOT NULL DEFAULT 0,
  failures     INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL CHECK (max_attempts >= 1),
  progress     REAL,
  result       TEXT,                          -- JSON; NULL when the task returned nothing
  error        TEXT,
  created_at   INTEGER NOT NULL,
  started_at   INTEGER,
  -- Set exactly when the task reaches a terminal status (done, failed, canceled): the
  -- statements test it instead of comparing status strings, which costs more.
  finished_at  INTEGER,
  updated_at   INTEGER NOT NULL
);

-- Claim walks this in id order per type and stops after `limit` runnable rows: only ready
-- tasks are in it, so it stays as small as the runnable queue, whatever the history.
CREATE INDEX tasks_claim ON tasks (type, id) WHERE ready = 1;

-- The earliest delayed (retrying) task, for the scheduler's next wake-up.
CREATE INDEX tasks_run_at ON tasks (run_at) WHERE ready = 1;

CREATE TABLE leases (
  token      INTEGER PRIMARY KEY,
  task_id    INTEGER NOT NULL REFERENCES tasks (id),  -- enforced: the store sets foreign_keys
  n          INTEGER NOT NULL,                -- the task's attempt number, from 1
  worker     TEXT    NOT NULL,
  state      TEXT    NOT NULL,                -- 'active' | 'done' | 'failed' | 'expired' | 'released'
  deadline   INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  ended_at   INTEGER,
  units      INTEGER,
  error      TEXT
);

-- The attempt log of one task.
CREATE INDEX leases_task ON leases (task_id, n);

-- Reclaiming expired leases reads only the active ones, oldest deadline first.
CREATE INDEX leases_active_deadline ON leases (deadline) WHERE state = 'active';
