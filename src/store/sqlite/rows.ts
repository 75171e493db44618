/** Rows as SQLite returns them, and their mapping to the store's records. */
import type { Json, TaskStatus } from '../../protocol/tasks.ts';
import type { AttemptRecord, LeaseState, TaskRecord } from '../types.ts';

export interface TaskRow {
  id: number;
  type: string;
  data: string;
  status: TaskStatus;
  ready: number;
  run_at: number;
  reps: number;
  units_done: number;
  units_leased: number;
  attempts: number;
  failures: number;
  max_attempts: number;
  progress: number | null;
  result: string | null;
  error: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  updated_at: number;
}

export interface LeaseRow {
  token: number;
  task_id: number;
  n: number;
  worker: string;
  state: LeaseState;
  deadline: number;
  started_at: number;
  ended_at: number | null;
  units: number | null;
  error: string | null;
}

/** JSON text for a TEXT column; `undefined` (no result) becomes NULL. */
export function toJsonText(value: Json | undefined): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

/** Maps a tasks row to its record. */
export function toTaskRecord(row: TaskRow): TaskRecord {
  return {
    id: row.id,
    type: row.type,
    data: JSON.parse(row.data) as Json,
    status: row.status,
    result: row.result === null ? undefined : (JSON.parse(row.result) as Json),
    error: row.error,
    reps: row.reps,
    unitsDone: row.units_done,
    unitsLeased: row.units_leased,
    attempts: row.attempts,
    failures: row.failures,
    maxAttempts: row.max_attempts,
    progress: row.progress,
    runAt: row.run_at,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    updatedAt: row.updated_at,
  };
}

/** Maps a leases row to the attempt it records. */
export function toAttemptRecord(row: LeaseRow): AttemptRecord {
  return {
    token: row.token,
    taskId: row.task_id,
    n: row.n,
    worker: row.worker,
    state: row.state,
    deadline: row.deadline,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    units: row.units,
    error: row.error,
  };
}
