-- paused-put: pauses a task type (no row changed: it was paused already).
-- Params: @type TEXT, @now INTEGER (ms)
INSERT INTO paused_types (type, paused_at) VALUES (@type, @now) ON CONFLICT DO NOTHING
