-- tasks-progress: records the progress reported under active leases (a leases row, or the
-- lease on a single-unit task's row: migration 008). No task may appear twice in one call
-- (see tasks-complete). A task already terminal keeps its final progress.
-- Params: $1 bigint[] tokens, $2 double precision[] progress, $3 bigint now (ms)
-- Returns: token of each report whose lease is active.
WITH input AS (
  SELECT * FROM unnest($1::bigint[], $2::double precision[]) AS i (token, progress)
),
held AS (
  SELECT l.task_id, i.token, i.progress
  FROM input AS i
  JOIN leases AS l ON l.token = i.token AND l.state = 'active'
  UNION ALL
  SELECT t.id, i.token, i.progress
  FROM input AS i
  JOIN tasks AS t ON t.lease_token = i.token AND t.finished_at IS NULL
)
UPDATE tasks AS t SET
  progress   = CASE WHEN t.status = 'processing' THEN h.progress ELSE t.progress END,
  updated_at = CASE WHEN t.status = 'processing' THEN $3::bigint ELSE t.updated_at END
FROM held AS h
WHERE t.id = h.task_id
RETURNING h.token
