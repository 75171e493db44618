-- types-declare: records a task type as accepted (a worker declared it); a no-op when known.
-- Params: :name text, :now integer (ms)
INSERT OR IGNORE INTO task_types (name, declared_at) VALUES (:name, :now)
