-- leases-lock: locks the active leases among the given tokens and maps each to its task;
-- first statement of a write batch that reports on leases. Every writer locks leases in
-- token order, then tasks in id order (tasks-lock), so two writers never deadlock; the rest
-- of the batch touches only rows locked here, which nothing else can change meanwhile.
-- Params: $1 bigint[] tokens
-- Returns: token, task_id of each active lease; a stale token has no row.
SELECT token, task_id
FROM leases
WHERE token = ANY ($1::bigint[]) AND state = 'active'
ORDER BY token
FOR NO KEY UPDATE
