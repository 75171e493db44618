/** Tasks as they travel on the wire: what a client submits and the views it gets back. */
import type { AttemptState, Json, TaskStatus } from '../model/tasks.ts';

/** An ISO 8601 date and time with a time zone (`Z` or an offset); seconds optional. */
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;

/**
 * A `runAt` as the protocol takes it: an ISO 8601 date and time with a time zone, e.g.
 * `2026-12-24T18:00:00Z` or `2026-12-24T19:00+01:00`. Milliseconds since the epoch, or NaN
 * for anything else.
 */
export function parseDateTime(text: string): number {
  return ISO_DATE_TIME.test(text) ? Date.parse(text) : Number.NaN;
}

/** What a client asks the server to run. */
export interface TaskSpec {
  type: string;
  data: Json;
  /** Units of work the task needs before it is done (default 1). */
  reps?: number;
  /** Failed attempts allowed before the task is marked failed (default: the server's). */
  maxAttempts?: number;
  /** Higher is handed out first (PRIORITY_MIN..PRIORITY_MAX, default 0). */
  priority?: number;
  /** Milliseconds from now until the task is due (`scheduled` until then). Not with runAt. */
  delay?: number;
  /** When the task is due: ISO 8601 with a time zone, e.g. `2026-12-24T18:00:00Z`. */
  runAt?: string;
  /**
   * A unique key: while a task of the same type holds it (unfinished, or finished less than
   * 24 hours ago), a submit with it creates nothing and answers that task's id.
   */
  key?: string;
  /**
   * How long one attempt may run (ms): past it the attempt fails with the error `timeout`
   * (the worker's signal aborts) and retries apply. Default: the server's for the type, if any.
   */
  timeout?: number;
}

/** One lease of a task: an attempt by one worker. */
export interface AttemptView {
  n: number;
  worker: string;
  state: AttemptState;
  startedAt: string;
  endedAt?: string;
  units?: number;
  error?: string;
}

/** A task as clients see it. Timestamps are ISO 8601 strings. */
export interface TaskView {
  id: string;
  type: string;
  data: Json;
  status: TaskStatus;
  result?: Json;
  error?: string;
  reps: number;
  unitsDone: number;
  attempts: number;
  progress?: number;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  updatedAt: string;
  priority: number;
  /** When the task is (or was) due, if not at its creation: a delay's end, a retry's time. */
  runAt?: string;
  key?: string;
  /** The cron schedule whose tick created the task. */
  schedule?: string;
  attemptLog?: AttemptView[];
  /** Who put the task back in the queue, and when (with `attempts`, as the log). */
  retries?: RetryView[];
}

/** A retry of a finished task: when, by whom (a token's name, or the address), from what. */
export interface RetryView {
  at: string;
  by: string;
  was: TaskStatus;
}

/** A task type as `types` lists it: its tasks per status, and whether it is paused. */
export interface TypeView {
  type: string;
  counts: Record<TaskStatus, number>;
  paused: boolean;
}

/** A cron schedule as clients see it. Times are ISO 8601 strings. */
export interface ScheduleView {
  name: string;
  cron: string;
  /** The IANA time zone the expression is read in (UTC when absent). */
  tz?: string;
  type: string;
  data: Json;
  priority: number;
  /** The next tick; absent when the expression has no run left. */
  nextRun?: string;
  /** The last tick that ran, and the id of its task. */
  lastRun?: string;
  lastTask?: string;
  createdAt: string;
}

/** What `schedule.add` takes. */
export interface ScheduleParams {
  name: string;
  /** 5 fields (minute hour day month weekday), or 6 with seconds first. */
  cron: string;
  type: string;
  data: Json;
  tz?: string;
  priority?: number;
  maxAttempts?: number;
}
