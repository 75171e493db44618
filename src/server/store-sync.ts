/**
 * Keeps one server in step with the others on a shared store (PostgreSQL): when another
 * server commits submits or releases, this one's scheduler looks for work; when another
 * server's worker finishes a task a client here waits on, the task is pushed (from the
 * other server's notice of a small batch, or read once);
 * when another server stores something that comes due (a delayed task, a retry, a schedule's
 * next run), this one's timers are set for it too, so the work is done on time even if that
 * server is gone by then.
 * Events come from the store's own notifications (LISTEN/NOTIFY), never from polling.
 */
import type { Store, StoreEvent } from '../store/types.ts';
import type { Scheduler } from './scheduling/scheduler.ts';
import type { Waiters } from './waiters.ts';

/** How many recent changes of unwatched tasks are remembered (see `recent`). */
const RECENT_CHANGES = 4096;

export class StoreSync {
  private unsubscribe: (() => void) | undefined;
  /** Watched tasks changed elsewhere, read in one go per event-loop turn. */
  private readonly changed = new Set<number>();
  /**
   * Tasks changed elsewhere that nobody here waited on yet, most recent last. A `run`
   * registers its waiter when its submit's commit is reported, and another server may have
   * run the task and told of it before (a busy process reads its sockets late): the first
   * waiter of a task in this set has it read at once.
   */
  private readonly recent = new Set<number>();
  private scheduled = false;

  constructor(
    private readonly store: Store,
    private readonly scheduler: Scheduler,
    private readonly waiters: Waiters,
    private readonly onError: (error: unknown, context: string) => void,
    /**
     * A task (`due`) or a schedule (`schedule`) another server stored comes due at `at`
     * (without: read the times again).
     */
    private readonly onDue: (what: 'due' | 'schedule', at?: number) => void = () => {},
    /** Another server paused or resumed a type (or events were missed): read them again. */
    private readonly onPaused: () => void = () => {},
  ) {}

  /** Subscribes when the store shares its database with other servers; a no-op otherwise. */
  start(): void {
    this.unsubscribe = this.store.subscribe?.((event) => this.onEvent(event));
    if (this.unsubscribe) this.waiters.onFirstWaiter = (id) => this.watched(id);
  }

  /** A task got its first waiter: if it changed elsewhere already, it is read for it. */
  private watched(id: number): void {
    if (!this.recent.delete(id)) return;
    this.changed.add(id);
    this.schedule();
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  private onEvent(event: StoreEvent): void {
    if (event.kind === 'due' || event.kind === 'schedule') {
      this.onDue(event.kind, event.at);
      return;
    }
    if (event.kind === 'paused') {
      this.onPaused();
      return;
    }
    if (event.kind === 'finished') {
      // A waiter gets the record as committed, with no read; nobody waits yet: as `changed`.
      for (const task of event.tasks) {
        if (this.waiters.has(task.id)) this.waiters.changed(task);
        else this.remember(task.id);
      }
      return;
    }
    if (event.kind === 'revoked') {
      this.scheduler.revoke(event.tokens, 'canceled');
      return;
    }
    if (event.kind === 'ready') {
      this.scheduler.workAppeared();
      // Events may have been missed (the listener reconnected): retry reads that failed.
      if (this.changed.size > 0) this.schedule();
      return;
    }
    for (const id of event.ids) {
      if (this.waiters.has(id)) this.changed.add(id);
      else this.remember(id);
    }
    if (this.changed.size > 0) this.schedule();
  }

  private remember(id: number): void {
    this.recent.delete(id);
    this.recent.add(id);
    if (this.recent.size > RECENT_CHANGES) {
      const oldest = this.recent.values().next().value;
      if (oldest !== undefined) this.recent.delete(oldest);
    }
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
