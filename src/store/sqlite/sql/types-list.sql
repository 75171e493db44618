-- types-list: every task type the store accepts, by name.
-- Params: none
SELECT name FROM task_types ORDER BY name
