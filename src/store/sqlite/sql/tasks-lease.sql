-- tasks-lease: counts one more unit of each task as leased (one more attempt). A task stays
-- ready while units remain that are neither done nor leased. Right-hand sides read the row
-- as it was before the update.
-- Params: @ids TEXT (JSON array of task ids, from claim-candidates), @now INTEGER (ms)
UPDATE tasks SET
  attempts     = attempts + 1,
  units_leased = units_leased + 1,
  status       = 'processing',
  started_at   = coalesce(started_at, @now),
  ready        = (units_done + units_leased + 1 < reps),
  updated_at   = @now
WHERE id IN (SELECT value FROM json_each(@ids)) AND ready = 1
