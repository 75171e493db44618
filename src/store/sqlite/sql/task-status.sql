-- task-status: the status of one task, to explain why it could not be canceled.
-- Params: @id INTEGER
SELECT status FROM tasks WHERE id = @id
