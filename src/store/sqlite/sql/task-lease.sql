-- task-lease: counts one more unit of the task as leased (one more attempt). The task stays
-- ready while units remain that are neither done nor leased. Right-hand sides read the row
-- as it was before the update.
-- Params: @id INTEGER, @now INTEGER (ms)
UPDATE tasks SET
  attempts     = attempts + 1,
  units_leased = units_leased + 1,
  status       = 'processing',
  started_at   = coalesce(started_at, @now),
  ready        = (units_done + units_leased + 1 < reps),
  updated_at   = @now
WHERE id = @id AND ready = 1
