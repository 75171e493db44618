/** What a task handler receives and returns: the same for the built-in executor and remote workers. */
import type { Json } from '../protocol/tasks.ts';

export interface TaskInput {
  id: string;
  type: string;
  data: Json;
  reps: number;
  attempt: number;
}

export interface TaskContext {
  /** Fires when the lease is lost, the task is canceled or the worker shuts down. */
  signal: AbortSignal;
  /** Reports progress (0..1); clients see it in status and in packet mode. */
  progress(fraction: number): void;
  /** Says how many units of work this attempt did (multi-unit tasks; default 1). */
  setUnits(units: number): void;
}

/** Runs one task; its return value is the task's result. Throwing fails the attempt. */
export type TaskHandler = (
  task: TaskInput,
  ctx: TaskContext,
) => Promise<Json | undefined> | Json | undefined;
