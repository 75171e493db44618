/**
 * The PostgreSQL store's scheduling operations: enqueueing the scheduled tasks that came due,
 * and cron schedules. Each is one transaction over one pooled connection.
 */
import { type ScheduleRow, toScheduleRecord } from '../rows.ts';
import {
  type NewTask,
  type ScheduleRecord,
  type ScheduleSpec,
  type ScheduleTick,
  tickKey,
} from '../types.ts';
import type { Session } from './connection.ts';
import { type Announcer, announce } from './notifications.ts';
import { insertTasks, type Submitted } from './write.ts';

/** Enqueues up to `limit` scheduled tasks due by `now`, each once across servers. */
export async function enqueueDue(
  s: Session,
  now: number,
  limit: number,
  announcer: Announcer | undefined,
): Promise<{ id: number; type: string }[]> {
  const first = s.pipeline().begin();
  const due = first.run<{ id: number; type: string }>('tasks-enqueue-due', [now, limit]);
  await first.send();
  const second = s.pipeline();
  if (due.rows.length > 0) {
    announce(second, announcer, { ready: true, ids: due.rows.map((r) => r.id) });
  }
  await second.commit().send();
  return due.rows;
}

/** Adds or replaces a schedule; tells the other servers when it next runs. */
export async function putSchedule(
  s: Session,
  spec: ScheduleSpec,
  now: number,
  announcer: Announcer | undefined,
): Promise<{ created: boolean }> {
  const p = s.pipeline().begin();
  const put = p.run<{ created: boolean }>('schedule-put', [
    spec.name,
    spec.cron,
    spec.tz,
    spec.type,
    JSON.stringify(spec.data),
    spec.priority,
    spec.maxAttempts,
    spec.nextRun,
    now,
  ]);
  if (spec.nextRun !== null) {
    announce(p, announcer, { ready: false, ids: [], schedule: spec.nextRun });
  }
  await p.commit().send();
  return { created: put.rows[0]!.created };
}

export async function schedules(s: Session): Promise<ScheduleRecord[]> {
  const p = s.pipeline();
  const rows = p.run<ScheduleRow>('schedules-list', []);
  await p.send();
  return rows.rows.map(toScheduleRecord);
}

export async function removeSchedule(s: Session, name: string): Promise<boolean> {
  const p = s.pipeline();
  const removed = p.run<{ name: string }>('schedule-remove', [name]);
  await p.send();
  return removed.rows.length > 0;
}

export async function nextScheduleRun(s: Session): Promise<number | undefined> {
  const p = s.pipeline();
  const next = p.run<{ next_run: number | null }>('schedules-next', []);
  await p.send();
  return next.rows[0]?.next_run ?? undefined;
}

/** How many due schedules one tick transaction runs at most; the timer comes back for more. */
const TICK_LIMIT = 100;

/**
 * Runs the schedules due by `now`, locked with SKIP LOCKED so that each tick is run by one
 * server: one task each (keyed NAME@TICK, so even a second run of a tick finds the first
 * one's task), and its next run. Three round trips: lock, insert, record and commit.
 */
export async function tickSchedules(
  s: Session,
  now: number,
  next: (s: ScheduleRecord) => number | null,
  announcer: Announcer | undefined,
): Promise<ScheduleTick[]> {
  const first = s.pipeline().begin();
  const locked = first.run<ScheduleRow>('schedules-due', [now, TICK_LIMIT]);
  await first.send();
  const due = locked.rows.map(toScheduleRecord);
  const second = s.pipeline();
  if (due.length === 0) {
    await second.commit().send();
    return [];
  }
  const tasks: NewTask[] = due.map((d) => ({
    type: d.type,
    data: d.data,
    reps: 1,
    maxAttempts: d.maxAttempts,
    priority: d.priority,
    key: tickKey(d.name, d.nextRun!),
    schedule: d.name,
  }));
  const filled = insertTasks(
    second,
    tasks,
    tasks.map((t) => JSON.stringify(t.data)),
    now,
  )!;
  await second.send();
  const outcome: Submitted = { ids: [], duplicates: [] };
  filled(outcome);
  const nextRuns = due.map(next);
  const third = s.pipeline();
  third.run('schedules-ticked', [
    due.map((d) => d.name),
    due.map((d) => d.nextRun),
    outcome.ids,
    nextRuns,
    now,
  ]);
  const upcoming = nextRuns.filter((n): n is number => n !== null);
  announce(third, announcer, {
    ready: true,
    ids: [],
    ...(upcoming.length > 0 && { schedule: Math.min(...upcoming) }),
  });
  await third.commit().send();
  const duplicate = new Set(outcome.duplicates);
  return due.map((d, i) => ({
    name: d.name,
    at: d.nextRun!,
    taskId: outcome.ids[i]!,
    type: d.type,
    duplicate: duplicate.has(i),
  }));
}
