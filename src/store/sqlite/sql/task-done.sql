-- task-done: completes a single-unit task whose one lease (the only one it can have) reports
-- at least one unit: the task was processing with nothing done, so it is done now, with its
-- result, and the attempt is kept on the row (done_*, see 004_attempts.sql) instead of in
-- attempts. Every other completion goes through attempt-insert and task-complete.
-- Params, positional: units INTEGER, result TEXT (JSON) or NULL, now INTEGER (ms) twice,
--   token INTEGER, n INTEGER, worker TEXT, deadline INTEGER (ms), started_at INTEGER (ms),
--   id INTEGER
UPDATE tasks SET
  units_done      = ?,
  units_leased    = 0,
  status          = 'done',
  result          = ?,
  progress        = 1,
  finished_at     = ?,
  ready           = 0,
  updated_at      = ?,
  done_token      = ?,
  done_n          = ?,
  done_worker     = ?,
  done_deadline   = ?,
  done_started_at = ?
WHERE id = ? AND reps = 1 AND units_leased = 1 AND finished_at IS NULL
