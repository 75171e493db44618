/**
 * The SQLite store's operator operations (OperatorStore): retries of finished tasks and
 * paused task types, each call one IMMEDIATE transaction outside the batches of group
 * commit (an operator acts rarely; the batches stay as they are).
 */
import type Database from 'better-sqlite3';
import type { TaskStatus } from '../../model/tasks.ts';
import type { OperatorStore, RetryOutcome, RetryRecord } from '../types.ts';
import { getTask } from './operations.ts';
import type { Statements } from './statements.ts';

function retryOne(st: Statements, id: number, now: number, by: string): RetryOutcome {
  const status = st['task-status'].get({ id }) as TaskStatus | undefined;
  if (status === undefined) return { ok: false, reason: 'not_found' };
  if (st['task-retry'].run({ id, now }).changes === 0) {
    return { ok: false, reason: 'not_retryable', status };
  }
  st['retry-insert'].run({ taskId: id, at: now, by, was: status });
  return { ok: true, task: getTask(st, id)!, was: status };
}

/** Who retried a task, oldest first. */
export function retriesOf(st: Statements, taskId: number): RetryRecord[] {
  const rows = st['retries-of-task'].all({ taskId }) as {
    at: number;
    by_whom: string;
    was: TaskStatus;
  }[];
  return rows.map((r) => ({ at: r.at, by: r.by_whom, was: r.was }));
}

/** The operator operations over an open store (`open` throws when it is closed). */
export function sqliteOperator(
  open: () => { db: Database.Database; st: Statements },
): OperatorStore {
  const tx = <A extends unknown[], R>(fn: (st: Statements, ...args: A) => R) => {
    return async (...args: A): Promise<R> => {
      const { db, st } = open();
      return db.transaction(() => fn(st, ...args)).immediate();
    };
  };
  return {
    retry: tx((st, ids: readonly number[], now: number, by: string) =>
      ids.map((id) => retryOne(st, id, now, by)),
    ),
    setPaused: tx((st, type: string, paused: boolean, now: number) =>
      paused
        ? st['paused-put'].run({ type, now }).changes > 0
        : st['paused-remove'].run({ type }).changes > 0,
    ),
    pausedTypes: async () => open().st['paused-list'].all() as string[],
  };
}
