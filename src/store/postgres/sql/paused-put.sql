-- paused-put: pauses a task type. Returns one row when it was not paused before.
-- Params: $1 text type, $2 bigint now (ms)
INSERT INTO paused_types (type, paused_at) VALUES ($1::text, $2::bigint)
ON CONFLICT (type) DO NOTHING
RETURNING type
