/**
 * The task model that the wire protocol, the store and the server share: a task's statuses,
 * which of them are final, the states of an attempt, and the JSON value type of task data
 * and results. It imports nothing: every other module may import it.
 */

export const TASK_STATUSES = ['enqueued', 'processing', 'done', 'failed', 'canceled'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** Statuses a task never leaves. */
export function isTerminal(status: TaskStatus): boolean {
  return status === 'done' || status === 'failed' || status === 'canceled';
}

/** The states of one attempt (a lease): active while a worker holds it, then how it ended. */
export type AttemptState = 'active' | 'done' | 'failed' | 'expired' | 'released';

/** Any JSON value: task data and results travel as JSON. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
