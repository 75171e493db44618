-- task-id-at: where tasks created at @at or later begin in id order: a bound B such that the
-- tasks with id < B are those created before @at. Ids are handed out in commit order and
-- created_at is the batch's time, so created_at grows with the id, and a bisection over the
-- ids finds B with one seek of the table's key per step (about 30 for a billion ids), for
-- the task list's time range. Gaps in the ids (retention, rolled-back inserts) are bounds
-- like any other id. Returns the smallest id for an empty table.
-- Params: @at INTEGER (ms)
WITH RECURSIVE b (lo, hi) AS (
  -- Two subqueries, each one seek of the key (min and max together would scan the table).
  SELECT coalesce((SELECT min(id) FROM tasks), 1), coalesce((SELECT max(id) FROM tasks), 0) + 1
  UNION ALL
  SELECT CASE WHEN p.created_at >= @at THEN b.lo ELSE p.id + 1 END,
         CASE WHEN p.created_at >= @at THEN (b.lo + b.hi) / 2 ELSE b.hi END
  FROM b JOIN tasks AS p
    ON p.id = (SELECT id FROM tasks WHERE id >= (b.lo + b.hi) / 2 ORDER BY id LIMIT 1)
  WHERE b.lo < b.hi
)
SELECT min(hi) AS id FROM b
