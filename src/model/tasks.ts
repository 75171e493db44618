/**
 * The task model that the wire protocol, the store and the server share: a task's statuses,
 * which of them are final, the states of an attempt, and the JSON value type of task data
 * and results. It imports nothing: every other module may import it.
 */

/**
 * `scheduled`: submitted with a delay or a time to run at, not due yet; it becomes `enqueued`
 * when it is due. `enqueued`: waiting for a worker (also while a retry waits for its backoff).
 */
export const TASK_STATUSES = [
  'scheduled',
  'enqueued',
  'processing',
  'done',
  'failed',
  'canceled',
] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** Statuses a task never leaves. */
export function isTerminal(status: TaskStatus): boolean {
  return status === 'done' || status === 'failed' || status === 'canceled';
}

/** Statuses in which a task can still be canceled: nobody has leased it yet. */
export function isCancelable(status: TaskStatus): boolean {
  return status === 'enqueued' || status === 'scheduled';
}

/** The range of a task's priority: higher runs first, 0 by default. */
export const PRIORITY_MIN = -1000;
export const PRIORITY_MAX = 1000;

/** The longest unique key a task may carry (characters). */
export const KEY_MAX_LENGTH = 256;

/** The longest delay a task may have: ten years (ms); a run-at is as far ahead at most. */
export const MAX_DELAY_MS = 10 * 366 * 24 * 60 * 60 * 1000;

/**
 * How far in the past a task's run-at may be (ms): a time up to a minute ago (a client's
 * clock a little behind the server's) runs the task at once; an earlier one is refused.
 */
export const RUN_AT_TOLERANCE_MS = 60_000;

/**
 * The states of one attempt (a lease): active while a worker holds it, then how it ended
 * (`canceled`: the task was canceled while this attempt ran).
 */
export type AttemptState = 'active' | 'done' | 'failed' | 'expired' | 'released' | 'canceled';

/** Any JSON value: task data and results travel as JSON. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
