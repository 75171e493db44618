-- 004_attempts: attempts are written when they end; active leases live in the server's memory.
--
-- One server process owns the file, and its leases end with it: a new process releases
-- whatever the previous one held. So an active lease needs no row. Each attempt is written
-- once, when it ends, into `attempts`, keyed by its task and number: one b-tree insert per
-- attempt, where `leases` cost a row and two index entries at the claim and a rewrite of
-- the row and an index entry at the report.
--
-- Tokens are no longer rowids: the server hands them out from a range it reserves in
-- store_state ('tokens_from': every token below it may have been handed out), so a token
-- fences one attempt across restarts and crashes as before.

CREATE TABLE attempts (
  task_id    INTEGER NOT NULL REFERENCES tasks (id),
  n          INTEGER NOT NULL,                -- the task's attempt number, from 1
  token      INTEGER NOT NULL,
  worker     TEXT    NOT NULL,
  -- 'done' | 'failed' | 'expired' | 'released'; 'active' only in rows copied from a server
  -- that stopped without closing the store, until the next start releases them.
  state      TEXT    NOT NULL,
  deadline   INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  ended_at   INTEGER,
  units      INTEGER,
  error      TEXT,
  PRIMARY KEY (task_id, n)
) WITHOUT ROWID;

INSERT INTO attempts (task_id, n, token, worker, state, deadline, started_at, ended_at, units,
                      error)
SELECT task_id, n, token, worker, state, deadline, started_at, ended_at, units, error
FROM leases;

-- The store's own counters. 'clean' is 1 when the last server closed the store (released its
-- leases); without it, the next start looks for tasks whose leases were lost with the process.
CREATE TABLE store_state (
  key   TEXT    PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;

INSERT INTO store_state (key, value)
SELECT 'tokens_from', coalesce(MAX(token), 0) + 1 FROM leases;

DROP TABLE leases;

-- The attempt that completes a single-unit task is kept on the task's row instead: the row
-- is rewritten by the completion anyway, so these columns cost no b-tree of their own, and
-- the completion of such a task, most tasks, is one update. Its units are units_done and it
-- ended at finished_at. NULL until then, and for multi-unit tasks, whose every attempt is a
-- row of attempts.
ALTER TABLE tasks ADD COLUMN done_token INTEGER;
ALTER TABLE tasks ADD COLUMN done_n INTEGER;
ALTER TABLE tasks ADD COLUMN done_worker TEXT;
ALTER TABLE tasks ADD COLUMN done_deadline INTEGER;
ALTER TABLE tasks ADD COLUMN done_started_at INTEGER;
