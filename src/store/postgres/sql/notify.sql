-- notify: sends each payload on the channel; delivered to listeners when the transaction
-- commits, and not at all if it rolls back.
-- Params: $1 text channel, $2 text[] payloads (each under 8000 bytes)
SELECT pg_notify($1::text, p) FROM unnest($2::text[]) AS p
