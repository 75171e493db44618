/**
 * What a commit changed reaches whoever wants it: the new record of each task a report
 * changed goes to its waiting clients and to `task:changed` listeners, `task:submitted`
 * tells of new ids, the debug log gets a line per task state change, and a task that
 * failed for good gets a warn line. A commit listener of the Committer.
 */
import type { TypedEmitter } from '../events/emitter.ts';
import {
  isRecord,
  type Store,
  type TaskRecord,
  type TaskState,
  type WriteBatch,
  type WriteOutcome,
} from '../store/types.ts';
import type { CommitListener } from './committer.ts';
import type { ServerEvents } from './events.ts';
import type { Logger } from './logger.ts';
import type { Waiters } from './waiters.ts';

export class TaskChanges implements CommitListener {
  constructor(
    private readonly store: Store,
    private readonly waiters: Waiters,
    private readonly events: TypedEmitter<ServerEvents>,
    private readonly log: Logger,
  ) {}

  /** A report comes back as the whole task only for somebody who will look at it. */
  wantsRecord(taskId: number): boolean {
    return this.waiters.has(taskId) || this.events.listens('task:changed');
  }

  committed(batch: WriteBatch, outcome: WriteOutcome): void {
    // A line per task (enqueued, then each state change) is debug: at the default level it
    // would be a JSON line per task, which cost a sixth of steady throughput (measured).
    const logTasks = this.log.isLevelEnabled('debug');
    if (outcome.ids.length > 0) {
      if (this.events.listens('task:submitted'))
        this.events.emit('task:submitted', { ids: outcome.ids });
      if (logTasks) {
        for (const [i, t] of batch.submits.entries()) {
          this.log.debug({ task: outcome.ids[i], type: t.type }, 'task enqueued');
        }
      }
    }
    const changed = (t: TaskState | undefined) => {
      if (!t) return;
      if (isRecord(t)) this.deliver(t);
      // Somebody started waiting after the batch was written: the whole task is read for them.
      else if (this.waiters.has(t.id)) void this.readAndDeliver(t.id);
      if (t.status === 'failed') {
        this.log.warn({ task: t.id, type: t.type, error: t.error ?? undefined }, 'task failed');
      } else if (logTasks) {
        this.log.debug(
          { task: t.id, status: t.status, units: t.unitsDone, error: t.error ?? undefined },
          `task ${t.status}`,
        );
      }
    };
    outcome.completions.forEach(changed);
    outcome.failures.forEach(changed);
    outcome.releases.forEach(changed);
    for (const c of outcome.cancels) if (c.ok) changed(c.task);
  }

  /** A change of a task observed elsewhere (another server's commit, a start, progress). */
  deliver(task: TaskRecord): void {
    this.waiters.changed(task);
    if (this.events.listens('task:changed')) this.events.emit('task:changed', { task });
  }

  private async readAndDeliver(id: number): Promise<void> {
    try {
      const task = await this.store.get(id);
      if (task) this.deliver(task);
    } catch (error) {
      this.log.error({ err: error, task: id }, 'reading a changed task failed');
    }
  }
}
