-- store-state-get: one of the store's counters (see store_state in 004_attempts.sql); no
-- row when it is not set.
-- Params, positional: key TEXT
SELECT value FROM store_state WHERE key = ?
