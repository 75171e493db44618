-- types-declare: records task types as accepted (a worker declared them); known ones are
-- left as they are.
-- Params: $1 text[] names, $2 bigint now (ms)
INSERT INTO task_types (name, declared_at)
  SELECT name, $2::bigint FROM unnest($1::text[]) AS n (name)
  ON CONFLICT (name) DO NOTHING
