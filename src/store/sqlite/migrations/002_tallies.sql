-- 002_tallies: tallies, each a set of `keys` tasks of type 'tally' (one per key).
--
-- Like tasks, tallies are never pruned of their highest row: INTEGER PRIMARY KEY ids ascend,
-- so the latest tally is the one with the highest id.

CREATE TABLE tallies (
  id         INTEGER PRIMARY KEY,
  -- A named tally is created once; unnamed ones (NULL) may repeat.
  name       TEXT    UNIQUE,
  keys       INTEGER NOT NULL CHECK (keys >= 1),
  reps       INTEGER NOT NULL CHECK (reps >= 1),
  created_at INTEGER NOT NULL
);

-- The tally a task belongs to; NULL for ordinary tasks. ADD COLUMN with REFERENCES is
-- allowed because the column's default is NULL.
ALTER TABLE tasks ADD COLUMN tally_id INTEGER REFERENCES tallies (id);

-- A tally's summary reads only its own tasks. Partial: ordinary tasks are not in it, so
-- their inserts and updates never touch it. Only tally_id, not the columns the summary
-- reads: a covering index would be rewritten on every completion of a tally task (about a
-- tenth slower), to save a few ms on a summary of 100,000 keys.
CREATE INDEX tasks_tally ON tasks (tally_id) WHERE tally_id IS NOT NULL;
