/**
 * Who is waiting on which task. When a committed change reaches a task, its waiters get it
 * pushed: updates while it runs, the final record when it ends. O(1) per change.
 */
import { isTerminal } from '../model/tasks.ts';
import type { TaskRecord } from '../store/types.ts';

export interface Waiter {
  onUpdate?: (task: TaskRecord) => void;
  onDone: (task: TaskRecord) => void;
}

export class Waiters {
  private readonly byTask = new Map<number, Set<Waiter>>();
  /** Told of each task that gets its first waiter (StoreSync: changes seen before it). */
  onFirstWaiter: ((taskId: number) => void) | undefined;

  add(taskId: number, waiter: Waiter): () => void {
    let set = this.byTask.get(taskId);
    if (!set) {
      set = new Set();
      this.byTask.set(taskId, set);
      this.onFirstWaiter?.(taskId);
    }
    set.add(waiter);
    return () => this.remove(taskId, waiter);
  }

  has(taskId: number): boolean {
    return this.byTask.has(taskId);
  }

  /** Whether a waiter wants the updates of a running task (not only its end). */
  wantsUpdates(taskId: number): boolean {
    const set = this.byTask.get(taskId);
    if (!set) return false;
    for (const w of set) if (w.onUpdate) return true;
    return false;
  }

  /** Delivers a committed change of a task to its waiters. */
  changed(task: TaskRecord): void {
    const set = this.byTask.get(task.id);
    if (!set) return;
    if (isTerminal(task.status)) {
      this.byTask.delete(task.id);
      for (const w of set) w.onDone(task);
    } else {
      for (const w of set) w.onUpdate?.(task);
    }
  }

  get size(): number {
    return this.byTask.size;
  }

  private remove(taskId: number, waiter: Waiter): void {
    const set = this.byTask.get(taskId);
    if (!set) return;
    set.delete(waiter);
    if (set.size === 0) this.byTask.delete(taskId);
  }
}
