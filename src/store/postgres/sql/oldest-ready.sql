-- oldest-ready: per type, the run-at of the task the next claim would take (the highest
-- priority, then the lowest id, among the runnable ones). One seek into tasks_claim per type, walked as tasks-claim walks
-- it (type between w.type and w.type: see there).
-- Params: $1 text[] types, $2 bigint now (ms)
SELECT w.type, c.run_at
FROM unnest($1::text[]) AS w (type)
CROSS JOIN LATERAL (
  SELECT run_at
  FROM tasks
  WHERE ready AND type >= w.type AND type <= w.type
    AND (run_at <= $2::bigint OR run_at = created_at)
  ORDER BY type, priority DESC, id
  LIMIT 1
) AS c
