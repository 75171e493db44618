-- paused-remove: resumes a task type. Returns one row when it was paused.
-- Params: $1 text type
DELETE FROM paused_types WHERE type = $1::text RETURNING type
