-- tally-max-id: the highest tally id (0 for none).
-- Params: none
SELECT coalesce(MAX(id), 0) FROM tallies
