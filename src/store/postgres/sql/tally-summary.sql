-- tally-summary: one tally with its progress, aggregated over its own tasks (found through
-- the index tasks_tally), and the sorted distinct workers with a done lease on them; one
-- statement, so one snapshot. The tally is the one named $2 when a name is given, else the
-- one with id $1, else the latest (the highest id); when both are given they must match.
-- No row when there is no such tally.
-- finished_at is the last key's finishing time once every key is done, else NULL.
-- Params: $1 bigint id or NULL, $2 text name or NULL
WITH target AS (
  SELECT CASE
    WHEN $2::text IS NOT NULL THEN (SELECT id FROM tallies WHERE name = $2::text)
    WHEN $1::bigint IS NOT NULL THEN $1::bigint
    ELSE (SELECT max(id) FROM tallies)
  END AS id
)
SELECT
  y.id,
  y.name,
  y.keys,
  y.reps,
  y.created_at,
  count(t.status) FILTER (WHERE t.status = 'done') AS keys_done,
  coalesce(min(t.units_done), 0) AS units_min,
  coalesce(max(t.units_done), 0) AS units_max,
  coalesce(sum(t.units_done), 0) AS units_total,
  CASE
    WHEN count(t.status) FILTER (WHERE t.status = 'done') = y.keys THEN max(t.finished_at)
  END AS finished_at,
  -- The tally's task ids as an array, so the leases are found through leases_task (a join
  -- may be planned as a scan of every lease).
  -- A key of one rep keeps its completing attempt on its row (migration 008).
  ARRAY(
    SELECT w.worker
    FROM (
      SELECT l.worker
      FROM leases AS l
      WHERE l.task_id = ANY (ARRAY(SELECT k.id FROM tasks AS k WHERE k.tally_id = y.id))
        AND l.state = 'done'
      UNION
      SELECT k.lease_worker
      FROM tasks AS k
      WHERE k.tally_id = y.id AND k.status = 'done' AND k.lease_token IS NOT NULL
    ) AS w
    ORDER BY w.worker
  ) AS workers
FROM target
JOIN tallies AS y ON y.id = target.id
LEFT JOIN tasks AS t ON t.tally_id = y.id
WHERE $1::bigint IS NULL OR y.id = $1::bigint
GROUP BY y.id
