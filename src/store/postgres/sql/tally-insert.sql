-- tally-insert: records a new tally (its tasks are inserted by tally-task-insert). A tally
-- whose name is taken is not inserted: no row comes back (a concurrent insert of the same
-- name is waited for, so the caller then finds it with tally-by-name).
-- Params: $1 text name or NULL, $2 integer keys, $3 integer reps, $4 bigint now (ms)
-- Returns: id of the new tally; no row when the name was taken.
INSERT INTO tallies (name, keys, reps, created_at)
VALUES ($1::text, $2::integer, $3::integer, $4::bigint)
ON CONFLICT (name) DO NOTHING
RETURNING id
