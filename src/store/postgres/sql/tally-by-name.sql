-- tally-by-name: the id of the tally with this name; no row when there is none.
-- Params: $1 text name
SELECT id FROM tallies WHERE name = $1::text
