-- prune-lock: takes the pruning lock for the rest of the transaction, if no other server
-- holds it: one server prunes at a time (per schema: each schema is its own taskwire).
-- Params: none
-- Returns: got boolean
SELECT pg_try_advisory_xact_lock(hashtext('taskwire.prune'), hashtext(current_schema())) AS got
