/** Task model shared by the wire protocol, the store and the server. */

export const TASK_STATUSES = ['enqueued', 'processing', 'done', 'failed', 'canceled'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** Statuses a task never leaves. */
export function isTerminal(status: TaskStatus): boolean {
  return status === 'done' || status === 'failed' || status === 'canceled';
}

/** Any JSON value: task data and results travel as JSON. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** What a client asks the server to run. */
export interface TaskSpec {
  type: string;
  data: Json;
  /** Units of work the task needs before it is done (default 1). */
  reps?: number;
  /** Failed attempts allowed before the task is marked failed (default: the server's). */
  maxAttempts?: number;
}

/** One lease of a task: an attempt by one worker. */
export interface AttemptView {
  n: number;
  worker: string;
  state: 'active' | 'done' | 'failed' | 'expired' | 'released';
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
  attemptLog?: AttemptView[];
}
