-- tally-by-name: the id of the tally with this name; no row when there is none.
-- Params: @name TEXT
SELECT id FROM tallies WHERE name = @name
