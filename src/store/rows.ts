/**
 * Rows as the SQL stores return them (SQLite, and PostgreSQL with bigints read as numbers),
 * and their mapping to the store's records.
 */
import type { Json, TaskStatus } from '../model/tasks.ts';
import type {
  AttemptRecord,
  LeaseState,
  ScheduleRecord,
  TallySummary,
  TaskRecord,
  TaskState,
} from './types.ts';

/**
 * The columns of a task as the stores' statements select them (task-get.sql), in order.
 * Tasks are read as arrays (cheaper than objects on the completion path); each store checks
 * its statements' columns against this list.
 */
export const TASK_COLUMNS = [
  'id',
  'type',
  'data',
  'status',
  'result',
  'error',
  'reps',
  'units_done',
  'units_leased',
  'attempts',
  'failures',
  'max_attempts',
  'progress',
  'run_at',
  'created_at',
  'started_at',
  'finished_at',
  'updated_at',
  'priority',
  'key',
  'schedule',
] as const;

/** A task row in TASK_COLUMNS order. */
export type TaskRow = [
  id: number,
  type: string,
  data: string,
  status: TaskStatus,
  result: string | null,
  error: string | null,
  reps: number,
  unitsDone: number,
  unitsLeased: number,
  attempts: number,
  failures: number,
  maxAttempts: number,
  progress: number | null,
  runAt: number,
  createdAt: number,
  startedAt: number | null,
  finishedAt: number | null,
  updatedAt: number,
  priority: number,
  key: string | null,
  schedule: string | null,
];

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

/** A row of tally-summary.sql. */
export interface TallyRow {
  id: number;
  name: string | null;
  keys: number;
  reps: number;
  created_at: number;
  keys_done: number;
  units_min: number;
  units_max: number;
  units_total: number;
  finished_at: number | null;
}

/**
 * JSON text for a text column; `undefined` (no result) becomes NULL. Both stores keep JSON
 * as text, so a value reads back with its object keys in the order they were written.
 */
export function toJsonText(value: Json | undefined): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

/** Maps a task row to its record (by position: rows are read as arrays, see TASK_COLUMNS). */
export function toTaskRecord(row: TaskRow): TaskRecord {
  const result = row[4];
  return {
    id: row[0],
    type: row[1],
    data: JSON.parse(row[2]) as Json,
    status: row[3],
    result: result === null ? undefined : (JSON.parse(result) as Json),
    error: row[5],
    reps: row[6],
    unitsDone: row[7],
    unitsLeased: row[8],
    attempts: row[9],
    failures: row[10],
    maxAttempts: row[11],
    progress: row[12],
    runAt: row[13],
    createdAt: row[14],
    startedAt: row[15],
    finishedAt: row[16],
    updatedAt: row[17],
    priority: row[18],
    key: row[19],
    schedule: row[20],
  };
}

/**
 * What a report left a task in, from a task row, parsing no JSON: for a report nobody waits
 * on (WriteBatch.full), whose row may come without its data and result.
 */
export function toTaskState(row: TaskRow): TaskState {
  return {
    id: row[0],
    type: row[1],
    status: row[3],
    reps: row[6],
    unitsDone: row[7],
    unitsLeased: row[8],
    error: row[5],
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

/** Maps a tally-summary row and the tally's workers to its summary. */
export function toTallySummary(row: TallyRow, workers: string[]): TallySummary {
  return {
    id: row.id,
    name: row.name,
    keys: row.keys,
    reps: row.reps,
    keysDone: row.keys_done,
    unitsMin: row.units_min,
    unitsMax: row.units_max,
    unitsTotal: row.units_total,
    createdAt: row.created_at,
    finishedAt: row.finished_at,
    workers,
  };
}

/** A row of the schedules table (schedules-list.sql, schedules-due.sql). */
export interface ScheduleRow {
  name: string;
  cron: string;
  tz: string | null;
  type: string;
  data: string;
  priority: number;
  max_attempts: number;
  next_run: number | null;
  last_run: number | null;
  last_task: number | null;
  created_at: number;
  updated_at: number;
}

/** Maps a schedules row to its record. */
export function toScheduleRecord(row: ScheduleRow): ScheduleRecord {
  return {
    name: row.name,
    cron: row.cron,
    tz: row.tz,
    type: row.type,
    data: JSON.parse(row.data) as Json,
    priority: row.priority,
    maxAttempts: row.max_attempts,
    nextRun: row.next_run,
    lastRun: row.last_run,
    lastTask: row.last_task,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
