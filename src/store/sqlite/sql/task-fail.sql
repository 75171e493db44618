-- task-fail: counts a failed attempt. Once failures reach max_attempts the task fails for
-- good; otherwise it becomes runnable again at @retryAt. A task already terminal
-- (finished_at set) only counts the lease and the failure: its status and error stay.
-- Right-hand sides read the row as it was before the update.
-- Params: @id INTEGER, @error TEXT, @retryAt INTEGER (ms), @now INTEGER (ms)
UPDATE tasks SET
  units_leased = units_leased - 1,
  failures     = failures + 1,
  error  = CASE WHEN finished_at IS NULL THEN @error ELSE error END,
  status = CASE
    WHEN finished_at IS NOT NULL THEN status
    WHEN failures + 1 >= max_attempts THEN 'failed'
    WHEN units_done > 0 OR units_leased - 1 > 0 THEN 'processing'
    ELSE 'enqueued'
  END,
  finished_at = CASE
    WHEN finished_at IS NULL AND failures + 1 >= max_attempts THEN @now
    ELSE finished_at
  END,
  ready = (finished_at IS NULL AND failures + 1 < max_attempts),
  run_at = CASE
    WHEN finished_at IS NULL AND failures + 1 < max_attempts THEN @retryAt
    ELSE run_at
  END,
  updated_at = @now
WHERE id = @id
