-- paused-remove: resumes a task type (no row changed: it was not paused).
-- Params: @type TEXT
DELETE FROM paused_types WHERE type = @type
