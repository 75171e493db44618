-- schedule-remove: removes a schedule (its tasks stay).
-- Params: $1 text name
-- Returns: name, when there was such a schedule.
DELETE FROM schedules WHERE name = $1::text RETURNING name
