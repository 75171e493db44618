-- notify-finished: tells the other servers the record of each task a small batch finished,
-- one payload per task, so a server whose client waits on one answers without reading it
-- back (a round trip). Sent before the batch's other notice, which names the same tasks: a
-- server delivers the record first and has no waiter left to read for. A record that would
-- not fit in a payload is left out; the other notice still names its task.
-- Params: $1 text channel, $2 text origin, $3 bigint[] task ids
SELECT pg_notify($1::text, n.p)
FROM (
  SELECT json_build_object(
           'o', $2::text,
           'f', json_build_array(id, type, data, status, result, error, reps, units_done,
                                 units_leased, attempts, failures, max_attempts, progress,
                                 run_at, created_at, started_at, finished_at, updated_at,
                                 priority, key, schedule))::text AS p
  FROM tasks
  WHERE id = ANY ($3::bigint[]) AND finished_at IS NOT NULL
  ORDER BY id
) AS n
WHERE octet_length(n.p) < 8000
