-- 009_retention: what retention (pruning finished tasks) reads and keeps.
--
-- tasks_finished: the finished tasks in finish-time order (with the rowid, so (finished_at,
-- id) is the pruner's keyset). Partial: a task enters it once, when it finishes (an append
-- at the index's end, finish times ascend), and no claim or lease touches it: its predicate
-- names finished_at only, which a claim and a lease never change (SQLite re-checks a partial
-- index only on updates of the columns it names).
CREATE INDEX tasks_finished ON tasks (finished_at) WHERE finished_at IS NOT NULL;

-- The highest task and tally ids retention deleted ('pruned_task', 'pruned_tally' in
-- store_state): a missing id at or below its mark was pruned, one above never existed. They
-- also keep ids from being handed out twice: INTEGER PRIMARY KEY takes the highest rowid
-- plus one, so once the newest rows are pruned the store gives the next insert its id
-- explicitly (mark + 1).
INSERT OR IGNORE INTO store_state (key, value) VALUES ('pruned_task', 0), ('pruned_tally', 0);
