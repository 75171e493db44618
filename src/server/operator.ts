/**
 * What an operator does to the queue, shared by the task port's methods (retry, retryMany,
 * pause, resume, types) and the dashboard's buttons: retries of finished tasks (one, or
 * every task a filter matches, in batches), pauses, and the list of task types with their
 * counts. Cancel stays a write of the committer (see dispatch.ts).
 */

import type { TypedEmitter } from '../events/emitter.ts';
import { TASK_STATUSES, type TaskStatus } from '../model/tasks.ts';
import type { RetryOutcome, Store, TaskQuery } from '../store/types.ts';
import type { Committer } from './committer.ts';
import type { ServerEvents } from './events.ts';
import type { Operator } from './http/operator.ts';
import type { Pauses } from './scheduling/pauses.ts';
import type { Scheduler } from './scheduling/scheduler.ts';

/** Tasks one retry transaction takes at most; a filter's retry goes on in batches. */
export const RETRY_BATCH = 500;

/** Tasks the type counts read per statement (a slice of ids), yielding between slices. */
const COUNT_SLICE = 25_000;

/** A filter of tasks to retry (the dashboard's list filters): only failed or canceled ones. */
export type RetryFilter = Omit<TaskQuery, 'limit' | 'scan' | 'before'>;

/** A task type as `types` lists it. */
export interface TypeSummary {
  type: string;
  counts: Record<TaskStatus, number>;
  paused: boolean;
}

export interface OperatorActionsOptions {
  store: Store;
  scheduler: Scheduler;
  pauses: Pauses;
  events: TypedEmitter<ServerEvents>;
  now: () => number;
  /** Every type this server accepts (its handlers, declared ones). */
  acceptedTypes: () => Iterable<string>;
}

const RETRYABLE: readonly TaskStatus[] = ['failed', 'canceled'];

export class OperatorActions {
  constructor(private readonly opts: OperatorActionsOptions) {}

  /** Puts these tasks back in the queue (see OperatorStore.retry); `by`: who asked. */
  async retry(ids: readonly number[], by: string): Promise<RetryOutcome[]> {
    const { store, scheduler, events } = this.opts;
    const outcomes = await store.operator.retry(ids, this.opts.now(), by);
    const tasks: ServerEvents['task:retried']['tasks'] = [];
    for (const o of outcomes) {
      if (o.ok) tasks.push({ id: o.task.id, type: o.task.type, was: o.was });
    }
    if (tasks.length > 0) {
      scheduler.workAppeared(new Set(tasks.map((t) => t.type)), true);
      events.emit('task:retried', { tasks, by });
    }
    return outcomes;
  }

  /**
   * Retries every failed or canceled task the filter matches (newest first, a page of the
   * task list at a time, each page one transaction); resolves with how many.
   */
  async retryMatching(filter: RetryFilter, by: string): Promise<number> {
    const statuses = (filter.statuses ?? ['failed']).filter((s) => RETRYABLE.includes(s));
    if (statuses.length === 0) return 0;
    let before: TaskQuery['before'];
    let retried = 0;
    do {
      const page = await this.opts.store.listTasks({
        ...filter,
        statuses,
        before,
        limit: RETRY_BATCH,
        scan: RETRY_BATCH * 20,
      });
      const ids = page.tasks.filter((t) => RETRYABLE.includes(t.status)).map((t) => t.id);
      if (ids.length > 0) retried += (await this.retry(ids, by)).filter((o) => o.ok).length;
      before = page.next;
    } while (before !== undefined);
    return retried;
  }

  pause(type: string): Promise<boolean> {
    return this.opts.pauses.pause(type);
  }

  resume(type: string): Promise<boolean> {
    return this.opts.pauses.resume(type);
  }

  pausedTypes(): string[] {
    return this.opts.pauses.list();
  }

  /**
   * Every task type (with tasks, accepted here, or paused) with its counts per status, by
   * name. The counts read the tasks table a slice of ids at a time, letting the task port
   * run between slices: an operator's command, not for a hot path.
   */
  async types(): Promise<TypeSummary[]> {
    const { store, pauses } = this.opts;
    const rows = new Map<string, Record<TaskStatus, number>>();
    const row = (type: string) => {
      let r = rows.get(type);
      if (!r) {
        r = Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as Record<TaskStatus, number>;
        rows.set(type, r);
      }
      return r;
    };
    const max = await store.maxTaskId();
    for (let from = 0; from < max; from += COUNT_SLICE) {
      for (const { type, status, n } of await store.countsByType(from, from + COUNT_SLICE)) {
        row(type)[status] += n;
      }
      if (from + COUNT_SLICE < max) await new Promise((resolve) => setImmediate(resolve));
    }
    for (const t of [...this.opts.acceptedTypes(), ...(await store.taskTypes())]) row(t);
    for (const t of pauses.list()) row(t);
    return [...rows]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([type, counts]) => ({ type, counts, paused: pauses.has(type) }));
  }
}

/** The dashboard's actions (http/operator.ts), logged as done by `dashboard`. */
export function dashboardOperator(committer: Committer, op: OperatorActions): Operator {
  const by = 'dashboard';
  return {
    cancel: (id) => committer.cancel(id),
    retry: async (id) => (await op.retry([id], by))[0]?.ok === true,
    retryMatching: (query) => op.retryMatching(query, by),
    pause: async (type) => {
      await op.pause(type);
    },
    resume: async (type) => {
      await op.resume(type);
    },
    pausedTypes: () => op.pausedTypes(),
  };
}
