-- prune-tally: deletes a tally (after its tasks, which reference it).
-- Params: $1 bigint tally id
DELETE FROM tallies WHERE id = $1
