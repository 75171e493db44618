-- prune-tally: deletes a tally (after its tasks: tasks.tally_id references tallies).
-- Params: @id INTEGER
DELETE FROM tallies WHERE id = @id
