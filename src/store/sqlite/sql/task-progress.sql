-- task-progress: records the progress reported under an active lease. Touches one row
-- exactly when the lease is active; a task already terminal keeps its final progress.
-- Params: @token INTEGER, @progress REAL, @now INTEGER (ms)
UPDATE tasks SET
  progress   = CASE WHEN status = 'processing' THEN @progress ELSE progress END,
  updated_at = CASE WHEN status = 'processing' THEN @now ELSE updated_at END
WHERE id = (SELECT task_id FROM leases WHERE token = @token AND state = 'active')
