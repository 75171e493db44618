-- tasks-key-release: finished tasks past their key's hold time let their keys go (they keep
-- the key for status), so that the submits of this batch with those keys make new tasks.
-- Run before task-insert-options in the same transaction.
-- Params: $1 text[] types, $2 text[] keys (pairs by position), $3 bigint finished before (ms)
UPDATE tasks AS t SET key_held = false
FROM unnest($1::text[], $2::text[]) AS i (type, key)
WHERE t.type = i.type AND t.key = i.key AND t.key_held AND t.finished_at < $3::bigint
