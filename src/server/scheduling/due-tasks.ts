/**
 * Retries and delayed tasks coming due, on one timer (due-timer.ts) for the earliest due time
 * the store holds: when it fires, the scheduled tasks that are due become enqueued (on a shared
 * store each by one server: the store locks them) and the scheduler wakes, as it does when a
 * retry's backoff ends. Waiters that follow a task see it enqueued.
 */
import type { Store, TaskRecord, WriteBatch } from '../../store/types.ts';
import { DueTimer } from './due-timer.ts';

/** How many due tasks one enqueue transaction takes at most; the timer comes back for more. */
const ENQUEUE_LIMIT = 1000;

export interface DueTasksOptions {
  now: () => number;
  /** Work of these types (of any type when not given) may be ready now. */
  wake: (types?: Iterable<string>) => void;
  isWatched: (taskId: number) => boolean;
  onTaskChanged: (task: TaskRecord) => void;
  onError: (error: unknown, context: string) => void;
  /** Tasks that came due (enqueued now), for whoever counts them. */
  onEnqueued?: (tasks: { id: number; type: string }[]) => void;
}

export class DueTasks {
  private readonly timer: DueTimer;

  constructor(
    private readonly store: Store,
    private readonly opts: DueTasksOptions,
  ) {
    this.timer = new DueTimer({
      now: opts.now,
      next: (now) => store.nextRunAt(now),
      onDue: () => this.enqueue(),
      onError: opts.onError,
      what: 'task',
    });
  }

  start(): Promise<void> {
    return this.timer.start();
  }

  stop(): void {
    this.timer.stop();
  }

  /** Something comes due at `at`; without `at`, the due time is read from the store again. */
  dueAt(at?: number): void {
    this.timer.dueAt(at);
  }

  /** A batch committed: its delayed submits come due at their run-at. */
  committed(batch: WriteBatch): void {
    let due = Number.POSITIVE_INFINITY;
    for (const t of batch.submits) if (t.runAt !== undefined && t.runAt < due) due = t.runAt;
    if (due !== Number.POSITIVE_INFINITY) this.timer.schedule(due);
  }

  private async enqueue(): Promise<boolean> {
    const due = await this.store.enqueueDue(this.opts.now(), ENQUEUE_LIMIT);
    this.opts.wake(due.length > 0 ? new Set(due.map((t) => t.type)) : undefined);
    if (due.length > 0) this.opts.onEnqueued?.(due);
    for (const { id } of due) {
      if (!this.opts.isWatched(id)) continue;
      const task = await this.store.get(id);
      if (task) this.opts.onTaskChanged(task);
    }
    return due.length > 0;
  }
}
