-- oldest-ready: the run-at of the task of one type that the next claim would take (the
-- highest priority, then the lowest id, among the runnable ones), or nothing. One seek
-- into tasks_claim, as claim-candidates with a limit of 1.
-- Params, positional: type TEXT, now INTEGER (ms)
SELECT run_at
FROM tasks INDEXED BY tasks_claim
WHERE ready = 1 AND type = ? AND (run_at <= ? OR run_at = created_at)
ORDER BY priority DESC, id
LIMIT 1
