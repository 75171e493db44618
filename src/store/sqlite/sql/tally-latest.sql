-- tally-latest: the id of the latest tally (the highest id); NULL when there is none.
-- Params: none
SELECT MAX(id) AS id FROM tallies
