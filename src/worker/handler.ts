/** What a task handler receives and returns: the same for the built-in executor and remote workers. */
import type { Json } from '../protocol/tasks.ts';
import type { LazyAbort } from './lazy-abort.ts';

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

/** How one run of a handler ended. */
export type HandlerOutcome =
  | { kind: 'done'; result: Json | undefined; units: number }
  | { kind: 'failed'; message: string }
  /** It threw after its signal fired: the lease is gone or being given back. */
  | { kind: 'aborted'; reason: unknown };

/**
 * Runs `handler` on one task with its context (the signal made on demand, progress
 * reports, units), and says how it ended; it never throws. A missing handler fails the
 * attempt with `missing`. The built-in executor and the Worker library both run tasks
 * through it, so a handler behaves the same in either.
 */
export async function runHandler(
  handler: TaskHandler | undefined,
  task: TaskInput,
  abort: LazyAbort,
  progress: (fraction: number) => void,
  missing: string,
): Promise<HandlerOutcome> {
  let units = 1;
  try {
    if (!handler) throw new Error(missing);
    const result = await handler(task, {
      get signal() {
        return abort.signal;
      },
      progress,
      setUnits: (n) => {
        units = n;
      },
    });
    return { kind: 'done', result, units };
  } catch (error) {
    if (abort.aborted) return { kind: 'aborted', reason: abort.reason };
    return { kind: 'failed', message: error instanceof Error ? error.message : String(error) };
  }
}
