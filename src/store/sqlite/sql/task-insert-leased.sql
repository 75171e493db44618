-- task-insert-leased: enqueues a new task already leased by the claim of its own write
-- (submit-leased.ts): the row task-insert writes followed by task-lease, in one insert. A
-- single-unit task is then not ready, so the partial index tasks_claim is not written for
-- it at all (measured on the real schema: 12.5–14.7 µs a transaction, against 20.4–21.8 µs
-- for task-insert, claim-candidates and task-lease).
-- Params, positional: id INTEGER or NULL (see task-insert), type TEXT, data TEXT (JSON),
--   ready INTEGER (1 when units remain unleased: reps > 1), reps INTEGER,
--   max_attempts INTEGER, now INTEGER (ms, the submit) twice (run_at, created_at),
--   leased INTEGER (ms, the claim's now) twice (updated_at, started_at)
-- The new id is the statement's lastInsertRowid.
INSERT INTO tasks (id, type, data, status, ready, reps, max_attempts, run_at, created_at,
                   updated_at, attempts, units_leased, started_at)
VALUES (?, ?, ?, 'processing', ?, ?, ?, ?, ?, ?, 1, 1, ?)
