-- tasks-leased: the tasks with leased units. Run only at a start after a server stopped
-- without closing the store: their leases were lost with it. A scan of the table: an index
-- on units_leased would be written at every claim and every report.
-- Params: none
SELECT id, attempts, units_leased FROM tasks WHERE units_leased > 0
