-- task-insert-options: task-insert for submits with scheduling options: a priority, a due
-- time (status 'scheduled', not ready, until tasks-enqueue-due), a unique key, the schedule
-- that made the task, an attempt timeout. Ids are drawn and handed out in input order as in task-insert. A key
-- another task of the type holds (committed, or inserted earlier in this statement) inserts
-- nothing: ON CONFLICT on tasks_key, which also waits for a concurrent insert of the same
-- key on another server and then skips the row; tasks-by-key then finds the holder.
-- Params: $1 text[] types, $2 text[] data (JSON), $3 integer[] reps, $4 integer[] max
--         attempts, $5 bigint[] run_at (ms; NULL: runnable at once), $6 integer[] priority,
--         $7 text[] keys (NULL for none), $8 text[] schedules (NULL for none), $9 bigint now,
--         $10 bigint[] attempt timeouts (ms; NULL for none)
-- Returns: id and inserted (false: a held key), one row per input element, in input order.
WITH input AS (
  SELECT *
  FROM unnest($1::text[], $2::text[], $3::integer[], $4::integer[], $5::bigint[],
              $6::integer[], $7::text[], $8::text[], $10::bigint[])
    WITH ORDINALITY AS i (type, data, reps, max_attempts, run_at, priority, key, schedule,
                          timeout_ms, ord)
),
drawn AS (
  SELECT nextval('tasks_id_seq') AS id FROM input
),
numbered AS (
  SELECT id, row_number() OVER (ORDER BY id) AS ord FROM drawn
),
inserted AS (
  INSERT INTO tasks (id, type, data, status, ready, run_at, reps, max_attempts, created_at,
                     updated_at, priority, key, key_held, schedule, due, timeout_ms)
  OVERRIDING SYSTEM VALUE
  SELECT n.id, i.type, i.data,
         CASE WHEN i.run_at > $9::bigint THEN 'scheduled' ELSE 'enqueued' END,
         NOT coalesce(i.run_at > $9::bigint, false),
         CASE WHEN i.run_at > $9::bigint THEN i.run_at ELSE $9::bigint END,
         i.reps, i.max_attempts, $9, $9, i.priority, i.key, i.key IS NOT NULL, i.schedule,
         CASE WHEN i.run_at > $9::bigint THEN i.run_at END, i.timeout_ms
  FROM input AS i
  JOIN numbered AS n USING (ord)
  ORDER BY i.ord
  ON CONFLICT (type, key) WHERE key_held DO NOTHING
  RETURNING id
)
SELECT n.id, n.id IN (SELECT id FROM inserted) AS inserted
FROM numbered AS n
ORDER BY n.ord
