-- task-lease: tasks-lease for one task, by id. A claim of a few tasks runs this once per task
-- instead of tasks-lease: a statement over json_each costs about 7 µs more per call than one
-- by id (measured with the lease rows of schema 003: leasing 1 task 16 µs over json_each,
-- 4.5 µs by id; json_each was cheaper from 4 tasks on).
-- Params, positional: now INTEGER (ms) twice, id INTEGER
UPDATE tasks SET
  attempts     = attempts + 1,
  units_leased = units_leased + 1,
  status       = 'processing',
  started_at   = coalesce(started_at, ?),
  ready        = (units_done + units_leased + 1 < reps),
  updated_at   = ?
WHERE id = ? AND ready = 1
