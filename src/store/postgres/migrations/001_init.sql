-- 001_init: tasks, their leases (one lease per attempt) and tallies: the schema of the SQLite
-- store's 001 and 002 together. migrate.ts creates schema_migrations.
--
-- Ids and tokens are bigint identities (read as JavaScript numbers: exact up to 2^53). Their
-- sequences keep the default CACHE 1, so values ascend across connections and servers: task
-- ids give the queue order and a lease token fences exactly one attempt. Times are bigint
-- milliseconds since the epoch, passed in by the store's caller.
--
-- JSON (task data, results) is stored as text, not jsonb: it reads back byte for byte as it
-- was written, object keys in their order, and costs no parsing in the database.

CREATE TABLE tallies (
  id         bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- A named tally is created once; unnamed ones (NULL) may repeat.
  name       text    UNIQUE,
  keys       integer NOT NULL CHECK (keys >= 1),
  reps       integer NOT NULL CHECK (reps >= 1),
  created_at bigint  NOT NULL
);

CREATE TABLE tasks (
  -- Named so that task-insert.sql can draw ids first and hand them out in input order.
  id           bigint  GENERATED ALWAYS AS IDENTITY (SEQUENCE NAME tasks_id_seq) PRIMARY KEY,
  type         text    NOT NULL,
  data         text    NOT NULL,              -- JSON
  -- 'enqueued' | 'processing' | 'done' | 'failed' | 'canceled'. No CHECK, as in SQLite: the
  -- store is the only writer.
  status       text    NOT NULL,
  -- True while a unit of the task may be leased once run_at <= now.
  ready        boolean NOT NULL,
  run_at       bigint  NOT NULL,
  reps         integer NOT NULL CHECK (reps >= 1),
  units_done   integer NOT NULL DEFAULT 0,
  units_leased integer NOT NULL DEFAULT 0 CHECK (units_leased >= 0),
  attempts     integer NOT NULL DEFAULT 0,
  failures     integer NOT NULL DEFAULT 0,
  max_attempts integer NOT NULL CHECK (max_attempts >= 1),
  progress     double precision,
  result       text,                          -- JSON; NULL when the task returned nothing
  error        text,
  created_at   bigint  NOT NULL,
  started_at   bigint,
  -- Set exactly when the task reaches a terminal status (done, failed, canceled).
  finished_at  bigint,
  updated_at   bigint  NOT NULL,
  -- The tally the task belongs to; NULL for ordinary tasks.
  tally_id     bigint  REFERENCES tallies (id),
  -- A task that may be leased is not finished (see tasks_run_at).
  CHECK (NOT ready OR finished_at IS NULL)
) WITH (fillfactor = 80);
-- fillfactor: room in each page for new row versions, so that updates which change no
-- indexed column (progress, a unit of a multi-unit task) can be HOT updates, without new
-- index entries.

-- Claim walks this in id order per type and stops after `limit` runnable rows: only ready
-- tasks are in it, so it stays as small as the runnable queue, whatever the history.
CREATE INDEX tasks_claim ON tasks (type, id) WHERE ready;

-- The earliest delayed (retrying) task, for the scheduler's next wake-up. The predicate
-- names finished_at, which next-run-at.sql tests and claims do not (ready tasks are never
-- finished: the CHECK above), so the planner cannot use this index to find tasks to claim:
-- it would read every ready task in run_at order and sort them, instead of walking
-- tasks_claim in id order and stopping after `limit`.
CREATE INDEX tasks_run_at ON tasks (run_at) WHERE ready AND finished_at IS NULL;

-- A tally's summary reads only its own tasks; ordinary tasks are not in this index.
CREATE INDEX tasks_tally ON tasks (tally_id) WHERE tally_id IS NOT NULL;

CREATE TABLE leases (
  token      bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  task_id    bigint  NOT NULL REFERENCES tasks (id),
  n          integer NOT NULL,                -- the task's attempt number, from 1
  worker     text    NOT NULL,
  state      text    NOT NULL,                -- 'active' | 'done' | 'failed' | 'expired' | 'released'
  deadline   bigint  NOT NULL,
  started_at bigint  NOT NULL,
  ended_at   bigint,
  units      integer,
  error      text,
  -- A lease is active exactly until it ends (see leases_active_deadline).
  CHECK ((state = 'active') = (ended_at IS NULL))
);

-- The attempt log of one task.
CREATE INDEX leases_task ON leases (task_id, n);

-- Reclaiming expired leases reads only the active ones, oldest deadline first. The predicate
-- is on ended_at, not on state, although both say "active" (the CHECK above): statements
-- that look leases up by token also test state = 'active', and with this predicate the
-- planner cannot pick this index for them over the primary key. It would otherwise (its
-- row estimate ignores the dead entries that pile up here between vacuums) and read a
-- heap page per lease ever ended.
CREATE INDEX leases_active_deadline ON leases (deadline) WHERE ended_at IS NULL;
