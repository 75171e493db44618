-- task-complete: counts the units of a completed lease. The first completion that brings
-- units_done to reps finishes the task and stores its result; a task already terminal
-- (finished_at set) only counts the units: its result is never overwritten. A report of 0
-- units that leaves nothing done and nothing leased puts the task back to `enqueued`, as a
-- release does. Right-hand sides read the row as it was before the update.
-- Params: @id INTEGER, @units INTEGER, @result TEXT (JSON) or NULL, @now INTEGER (ms)
UPDATE tasks SET
  units_done   = units_done + @units,
  units_leased = units_leased - 1,
  status = CASE
    WHEN finished_at IS NOT NULL THEN status
    WHEN units_done + @units >= reps THEN 'done'
    WHEN units_done + @units = 0 AND units_leased - 1 = 0 THEN 'enqueued'
    ELSE 'processing'
  END,
  result = CASE
    WHEN finished_at IS NULL AND units_done + @units >= reps THEN @result
    ELSE result
  END,
  progress = CASE
    WHEN finished_at IS NULL AND units_done + @units >= reps THEN 1
    ELSE progress
  END,
  finished_at = CASE
    WHEN finished_at IS NULL AND units_done + @units >= reps THEN @now
    ELSE finished_at
  END,
  ready = CASE
    WHEN finished_at IS NOT NULL OR units_done + @units >= reps THEN 0
    ELSE (units_done + @units + units_leased - 1 < reps)
  END,
  updated_at = @now
WHERE id = @id
