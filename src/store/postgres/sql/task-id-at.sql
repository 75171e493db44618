-- task-id-at: where tasks created at $1 or later begin in id order: a bound B such that the
-- tasks with id < B are those created before $1. Ids are drawn in insert order and
-- created_at is the batch's time, so created_at grows with the id (up to the servers'
-- clocks: the caller leaves a margin), and a bisection over the ids finds B with one probe
-- of the primary key per step (about 30 for a billion ids), in one statement, for the task
-- list's time range. Gaps in the ids (retention, rolled-back inserts) are bounds like any
-- other id. Returns the smallest id for an empty table.
-- Params: $1 bigint at (ms)
WITH RECURSIVE b (lo, hi) AS (
  -- Two subqueries, each one seek of the key (min and max together would scan the table).
  SELECT coalesce((SELECT min(id) FROM tasks), 1), coalesce((SELECT max(id) FROM tasks), 0) + 1
  UNION ALL
  SELECT CASE WHEN p.created_at >= $1::bigint THEN b.lo ELSE p.id + 1 END,
         CASE WHEN p.created_at >= $1::bigint THEN (b.lo + b.hi) / 2 ELSE b.hi END
  FROM b CROSS JOIN LATERAL (
    SELECT id, created_at FROM tasks WHERE id >= (b.lo + b.hi) / 2 ORDER BY id LIMIT 1
  ) AS p
  WHERE b.lo < b.hi
)
SELECT min(hi) AS id FROM b
