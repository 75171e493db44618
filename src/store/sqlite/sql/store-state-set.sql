-- store-state-set: sets one of the store's counters.
-- Params, positional: key TEXT, value INTEGER
INSERT INTO store_state (key, value) VALUES (?, ?)
ON CONFLICT (key) DO UPDATE SET value = excluded.value
