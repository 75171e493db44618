-- 002_task_types: the task types this store accepts beyond a server's own handlers: each
-- type a worker ever declared (worker.hello) on any server sharing the database, kept so
-- that a producer may submit before the worker of its type reconnects. Seeded with the types
-- of the tasks already stored.
CREATE TABLE task_types (
  name        text   PRIMARY KEY,
  declared_at bigint NOT NULL
);
INSERT INTO task_types (name, declared_at)
  SELECT type, min(created_at) FROM tasks GROUP BY type
  ON CONFLICT (name) DO NOTHING;
