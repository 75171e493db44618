/**
 * The SQLite store's scheduling operations: submits with options (priority, a due time, a
 * unique key), enqueueing the scheduled tasks that came due, and cron schedules. Each runs
 * inside a transaction that SqliteStore opens around it.
 */
import { type ScheduleRow, toScheduleRecord } from '../rows.ts';
import {
  KEY_HOLD_MS,
  type NewTask,
  type ScheduleRecord,
  type ScheduleSpec,
  type ScheduleTick,
  tickKey,
} from '../types.ts';
import type { Statements } from './statements.ts';
import type { TaskIds } from './task-ids.ts';

/**
 * Inserts a task with scheduling options. With a key some task of the type holds, nothing is
 * inserted and the holder's id comes back as a duplicate, unless the holder finished more than
 * KEY_HOLD_MS ago: then it lets the key go and the new task takes it.
 */
export function insertWithOptions(
  st: Statements,
  ids: TaskIds,
  task: NewTask,
  now: number,
): { id: number; duplicate: boolean } {
  const scheduled = task.runAt !== undefined && task.runAt > now;
  const key = task.key ?? null;
  const insert = () =>
    st['task-insert-options'].run(
      ids.task,
      task.type,
      JSON.stringify(task.data),
      scheduled ? 'scheduled' : 'enqueued',
      scheduled ? 0 : 1,
      task.reps,
      task.maxAttempts,
      scheduled ? task.runAt : now,
      now,
      now,
      task.priority ?? 0,
      key,
      key === null ? 0 : 1,
      task.schedule ?? null,
      scheduled ? task.runAt : null,
      task.timeoutMs ?? null,
    );
  let inserted = insert();
  if (inserted.changes === 0 && key !== null) {
    const [holder, finishedAt] = st['task-by-key'].get(task.type, key) as [number, number | null];
    if (finishedAt === null || finishedAt >= now - KEY_HOLD_MS) {
      return { id: holder, duplicate: true };
    }
    st['task-key-release'].run(holder);
    inserted = insert();
  }
  if (inserted.changes !== 1) throw new Error(`task of type ${task.type} was not inserted`);
  ids.task = null;
  return { id: Number(inserted.lastInsertRowid), duplicate: false };
}

/** Enqueues up to `limit` scheduled tasks due by `now`, the earliest due first. */
export function enqueueDue(st: Statements, now: number, limit: number) {
  return st['tasks-enqueue-due'].all({ now, limit }) as { id: number; type: string }[];
}

/** Adds or replaces a schedule; `created` when there was none of that name. */
export function putSchedule(st: Statements, s: ScheduleSpec, now: number): { created: boolean } {
  const created = st['schedule-get'].get({ name: s.name }) === undefined;
  st['schedule-put'].run({
    name: s.name,
    cron: s.cron,
    tz: s.tz,
    type: s.type,
    data: JSON.stringify(s.data),
    priority: s.priority,
    maxAttempts: s.maxAttempts,
    nextRun: s.nextRun,
    now,
  });
  return { created };
}

export function schedules(st: Statements): ScheduleRecord[] {
  return (st['schedules-list'].all() as ScheduleRow[]).map(toScheduleRecord);
}

/** How many due schedules one tick transaction runs at most; the timer comes back for more. */
const TICK_LIMIT = 100;

/** Runs the schedules due by `now`: one task each, for its due tick, and its next run. */
export function tickSchedules(
  st: Statements,
  ids: TaskIds,
  now: number,
  next: (s: ScheduleRecord) => number | null,
): ScheduleTick[] {
  const due = (st['schedules-due'].all({ now, limit: TICK_LIMIT }) as ScheduleRow[]).map(
    toScheduleRecord,
  );
  return due.map((s) => {
    const at = s.nextRun!;
    const { id, duplicate } = insertWithOptions(
      st,
      ids,
      {
        type: s.type,
        data: s.data,
        reps: 1,
        maxAttempts: s.maxAttempts,
        priority: s.priority,
        key: tickKey(s.name, at),
        schedule: s.name,
      },
      now,
    );
    st['schedule-ticked'].run({ name: s.name, at, task: id, nextRun: next(s), now });
    return { name: s.name, at, taskId: id, type: s.type, duplicate };
  });
}
