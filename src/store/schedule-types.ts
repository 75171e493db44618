/** Cron schedules as the store keeps them (see `Store.putSchedule`, `tickSchedules`). */
import type { Json } from '../model/tasks.ts';

/** A cron schedule as the server adds it. */
export interface ScheduleSpec {
  name: string;
  /** The cron expression (5 fields, or 6 with seconds first). */
  cron: string;
  /** The IANA time zone the expression is read in; null for UTC. */
  tz: string | null;
  type: string;
  data: Json;
  priority: number;
  maxAttempts: number;
  /** The next tick (ms); null when the expression has no run left. */
  nextRun: number | null;
}

/** A stored schedule. */
export interface ScheduleRecord extends ScheduleSpec {
  /** The last tick that created (or found) a task, and that task. */
  lastRun: number | null;
  lastTask: number | null;
  createdAt: number;
  updatedAt: number;
}

/** What one schedule's tick did. */
export interface ScheduleTick {
  name: string;
  /** The tick's time. */
  at: number;
  taskId: number;
  type: string;
  /** The tick's task already existed (its key was held): nothing was inserted. */
  duplicate: boolean;
}

/** The key of the task a schedule's tick creates: the name and the tick's time. */
export function tickKey(name: string, at: number): string {
  return `${name}@${new Date(at).toISOString()}`;
}
