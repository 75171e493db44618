-- tally-summary: one tally with its progress, aggregated over its own tasks (found through
-- the index tasks_tally). No row when the tally does not exist.
-- finished_at is the last key's finishing time once every key is done, else NULL.
-- Params: @id INTEGER
SELECT
  y.id,
  y.name,
  y.keys,
  y.reps,
  y.created_at,
  COUNT(t.status) FILTER (WHERE t.status = 'done') AS keys_done,
  coalesce(MIN(t.units_done), 0) AS units_min,
  coalesce(MAX(t.units_done), 0) AS units_max,
  coalesce(SUM(t.units_done), 0) AS units_total,
  CASE
    WHEN COUNT(t.status) FILTER (WHERE t.status = 'done') = y.keys THEN MAX(t.finished_at)
  END AS finished_at
FROM tallies AS y
LEFT JOIN tasks AS t ON t.tally_id = y.id
WHERE y.id = @id
GROUP BY y.id
