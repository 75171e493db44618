-- task-lease: tasks-lease for one task, by id. A claim of a few tasks runs this once per task
-- instead of tasks-lease: a statement over json_each costs about 7 µs more per call than one
-- by id (measured: leasing 1 task 16 µs with the json_each pair, 4.5 µs with this pair; the
-- json_each pair is cheaper from 4 tasks on).
-- Params, positional: now INTEGER (ms) twice, id INTEGER
UPDATE tasks SET
  attempts     = attempts + 1,
  units_leased = units_leased + 1,
  status       = 'processing',
  started_at   = coalesce(started_at, ?),
  ready        = (units_done + units_leased + 1 < reps),
  updated_at   = ?
WHERE id = ? AND ready = 1
