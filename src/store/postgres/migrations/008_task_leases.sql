-- 008_task_leases: the lease of a single-unit task lives on the task's row.
--
-- A task of one unit (reps = 1, most tasks) has at most one active lease at a time. Its
-- lease is kept in these columns instead of a row of `leases`: the claim's update of the
-- task writes them, and the completion that finishes the task rewrites the row anyway, so
-- the attempt that succeeds costs no row of its own (3 row writes per task: the insert, the
-- claim, the completion; with a lease row it was 5). The attempt is the task's latest
-- (number `attempts`); it is active while finished_at IS NULL, and it is the attempt that
-- completed the task once the task is done (its units are units_done, it ended at
-- finished_at). An attempt that ends any other way (failed, released, expired, canceled, or
-- a completion of 0 units) is written to `leases` when it ends, with its token, and these
-- columns are cleared. Multi-unit tasks keep a row of `leases` per attempt, as before; so do
-- the leases taken before this migration.
--
-- Tokens of both kinds come from leases' token sequence, so a token fences exactly one
-- attempt whichever table holds it.
ALTER TABLE tasks ADD COLUMN lease_token bigint;
ALTER TABLE tasks ADD COLUMN lease_worker text;
ALTER TABLE tasks ADD COLUMN lease_deadline bigint;
ALTER TABLE tasks ADD COLUMN lease_started_at bigint;

-- Reports name their lease by token. Only tasks with an active lease on their row are in
-- this index (a few per worker slot): the claim's update, which is not HOT anyway (it clears
-- `ready`), adds the entry; the completion's (which sets finished_at) leaves it behind,
-- dead. The expiry sweep walks it too.
CREATE INDEX tasks_lease ON tasks (lease_token)
  WHERE lease_token IS NOT NULL AND finished_at IS NULL;
