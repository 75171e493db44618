-- schedule-remove: removes a schedule (its tasks stay). No row changed: there was none.
-- Params: @name TEXT
DELETE FROM schedules WHERE name = @name
