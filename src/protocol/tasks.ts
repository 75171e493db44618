/** Tasks as they travel on the wire: what a client submits and the views it gets back. */
import type { AttemptState, Json, TaskStatus } from '../model/tasks.ts';

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
  attemptLog?: AttemptView[];
}
