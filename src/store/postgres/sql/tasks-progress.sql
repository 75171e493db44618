-- tasks-progress: records the progress reported under active leases. No task may appear
-- twice in one call (see tasks-complete). A task already terminal keeps its final progress.
-- Params: $1 bigint[] tokens, $2 double precision[] progress, $3 bigint now (ms)
-- Returns: token of each report whose lease is active.
UPDATE tasks AS t SET
  progress   = CASE WHEN t.status = 'processing' THEN i.progress ELSE t.progress END,
  updated_at = CASE WHEN t.status = 'processing' THEN $3::bigint ELSE t.updated_at END
FROM unnest($1::bigint[], $2::double precision[]) AS i (token, progress)
JOIN leases AS l ON l.token = i.token AND l.state = 'active'
WHERE t.id = l.task_id
RETURNING i.token
