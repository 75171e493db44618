/** What a task handler receives and returns: the same for the built-in executor and remote workers. */
import type { Json } from '../model/tasks.ts';
import type { LazyAbort } from './lazy-abort.ts';

export interface TaskInput {
  id: string;
  type: string;
  data: Json;
  reps: number;
  attempt: number;
  /** The task's priority (0 unless it was submitted with one). */
  priority: number;
  /**
   * The task's unique key, if it has one: the same for every attempt, so a handler may pass
   * it on as the idempotency key of what it does (a payment, a mail).
   */
  key?: string;
  /** The cron schedule whose tick made the task (its key is NAME@TICK). */
  schedule?: string;
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
 * A handler's context: one small object per task. The signal is made only when asked for;
 * `progress` and `setUnits` are bound on access, so a handler may destructure them.
 */
class HandlerContext implements TaskContext {
  units = 1;
  private readonly abort: LazyAbort;
  private readonly onProgress: (fraction: number) => void;

  constructor(abort: LazyAbort, progress: (fraction: number) => void) {
    this.abort = abort;
    this.onProgress = progress;
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  get progress(): (fraction: number) => void {
    return this.onProgress;
  }

  get setUnits(): (units: number) => void {
    return (units) => {
      this.units = units;
    };
  }
}

function thrown(error: unknown, abort: LazyAbort): HandlerOutcome {
  if (abort.aborted) return { kind: 'aborted', reason: abort.reason };
  return { kind: 'failed', message: error instanceof Error ? error.message : String(error) };
}

async function settled(
  pending: PromiseLike<Json | undefined>,
  ctx: HandlerContext,
  abort: LazyAbort,
): Promise<HandlerOutcome> {
  try {
    const result = await pending;
    return { kind: 'done', result, units: ctx.units };
  } catch (error) {
    return thrown(error, abort);
  }
}

/**
 * Runs `handler` on one task with its context (the signal made on demand, progress
 * reports, units), and says how it ended; it never throws. A missing handler fails the
 * attempt with `missing`. The built-in executor and the Worker library both run tasks
 * through it, so a handler behaves the same in either. A handler that returns a value rather
 * than a promise (a no-op, a pure transform) gets its outcome back at once, not as a
 * promise: the caller awaits only what is pending, which spares a few allocations per task.
 */
export function runHandler(
  handler: TaskHandler | undefined,
  task: TaskInput,
  abort: LazyAbort,
  progress: (fraction: number) => void,
  missing: string,
): HandlerOutcome | Promise<HandlerOutcome> {
  const ctx = new HandlerContext(abort, progress);
  let value: ReturnType<TaskHandler>;
  try {
    if (!handler) throw new Error(missing);
    value = handler(task, ctx);
  } catch (error) {
    return thrown(error, abort);
  }
  if (isThenable(value)) return settled(value, ctx, abort);
  return { kind: 'done', result: value, units: ctx.units };
}

function isThenable(value: unknown): value is PromiseLike<Json | undefined> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
