-- 005_task_types: the task types this store accepts beyond a server's own handlers: each
-- type a worker ever declared (worker.hello), kept so that a producer may submit before the
-- worker of its type reconnects after a restart. Seeded with the types of the tasks already
-- stored.
CREATE TABLE task_types (
  name        TEXT PRIMARY KEY,
  declared_at INTEGER NOT NULL
) WITHOUT ROWID;
INSERT OR IGNORE INTO task_types (name, declared_at)
  SELECT type, MIN(created_at) FROM tasks GROUP BY type;
