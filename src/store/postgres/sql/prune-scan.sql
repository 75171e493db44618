-- prune-scan: a prune batch's finished tasks, in finish-time order after the pass's cursor,
-- finished before the pass's limit (through tasks_finished), locked for the batch; a row
-- another transaction holds (an update of a finished task) is left for the next sweep.
-- Params: $1 bigint finished_at, $2 bigint id (the cursor: rows after it), $3 bigint before,
--         $4 integer limit
SELECT id, type, status, finished_at, key_held, tally_id
FROM tasks
WHERE finished_at IS NOT NULL
  AND (finished_at, id) > ($1::bigint, $2::bigint)
  AND finished_at < $3::bigint
ORDER BY finished_at, id
LIMIT $4
FOR UPDATE SKIP LOCKED
