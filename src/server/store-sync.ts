/**
 * Keeps one server in step with the others on a shared store (PostgreSQL): when another
 * server commits submits or releases, this one's scheduler looks for work; when another
 * server's worker finishes a task a client here waits on, the task is read once and pushed.
 * Events come from the store's own notifications (LISTEN/NOTIFY), never from polling.
 */
import type { Store, StoreEvent } from '../store/types.ts';
import type { Scheduler } from './scheduling/scheduler.ts';
import type { Waiters } from './waiters.ts';

export class StoreSync {
  private unsubscribe: (() => void) | undefined;
  /** Watched tasks changed elsewhere, read in one go per event-loop turn. */
  private readonly changed = new Set<number>();
  private scheduled = false;

  constructor(
    private readonly store: Store,
    private readonly scheduler: Scheduler,
    private readonly waiters: Waiters,
    private readonly onError: (error: unknown, context: string) => void,
  ) {}

  /** Subscribes when the store shares its database with other servers; a no-op otherwise. */
  start(): void {
    this.unsubscribe = this.store.subscribe?.((event) => this.onEvent(event));
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  private onEvent(event: StoreEvent): void {
    if (event.kind === 'ready') {
      this.scheduler.workAppeared();
      // Events may have been missed (the listener reconnected): retry reads that failed.
      if (this.changed.size > 0) this.schedule();
      return;
    }
    for (const id of event.ids) if (this.waiters.has(id)) this.changed.add(id);
    if (this.changed.size > 0) this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => void this.deliver());
  }

  private async deliver(): Promise<void> {
    this.scheduled = false;
    const ids = [...this.changed];
    this.changed.clear();
    try {
      const tasks = await Promise.all(ids.map((id) => this.store.get(id)));
      for (const task of tasks) if (task) this.waiters.changed(task);
    } catch (error) {
      // Kept for the next event: the store's listener sends `ready` when it is back.
      for (const id of ids) if (this.waiters.has(id)) this.changed.add(id);
      this.onError(error, 'reading tasks changed by another server');
    }
  }
}
