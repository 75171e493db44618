-- tasks-by-key: the tasks holding the given keys of their types, through tasks_key. Run after
-- task-insert-options in the same transaction: it sees this batch's tasks and those that
-- concurrent inserts committed (ON CONFLICT waited for them).
-- Params: $1 text[] types, $2 text[] keys (pairs by position)
-- Returns: id, type, key of each holder.
SELECT t.id, t.type, t.key
FROM unnest($1::text[], $2::text[]) AS i (type, key)
JOIN tasks AS t ON t.type = i.type AND t.key = i.key AND t.key_held
