-- analyze: refreshes the planner's statistics of the queue tables (see PostgresStore: run
-- in the background as the tables grow). SKIP_LOCKED: if another server analyzes them right
-- now, this one does not wait.
-- Params: none
ANALYZE (SKIP_LOCKED) tasks, leases
