-- paused-list: the paused task types, by name.
-- Params: none
SELECT type FROM paused_types ORDER BY type
