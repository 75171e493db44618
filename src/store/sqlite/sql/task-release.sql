-- task-release: gives back one leased unit without a verdict (released or expired lease).
-- Not a failure: unless it is terminal (finished_at set), the task is runnable again at
-- once. Right-hand sides read the row as it was before the update.
-- Params: @id INTEGER, @now INTEGER (ms)
UPDATE tasks SET
  units_leased = units_leased - 1,
  status = CASE
    WHEN finished_at IS NOT NULL THEN status
    WHEN units_done = 0 AND units_leased - 1 = 0 THEN 'enqueued'
    ELSE 'processing'
  END,
  ready = (finished_at IS NULL AND units_done + units_leased - 1 < reps),
  updated_at = @now
WHERE id = @id
