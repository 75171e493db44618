-- task-progress: records the progress reported under an active lease (the caller checked the
-- lease, in memory). A task already terminal keeps its final progress.
-- Params: @id INTEGER, @progress REAL, @now INTEGER (ms)
UPDATE tasks SET
  progress   = CASE WHEN status = 'processing' THEN @progress ELSE progress END,
  updated_at = CASE WHEN status = 'processing' THEN @now ELSE updated_at END
WHERE id = @id
