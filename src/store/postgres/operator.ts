/**
 * The PostgreSQL store's operator operations (OperatorStore): retries of finished tasks and
 * paused task types, each one transaction outside the batches of group commit. A change
 * tells the other servers (NOTIFY): retried tasks are runnable (`r`) and changed (`c`), the
 * paused types changed (`p`).
 */
import type { TaskStatus } from '../../model/tasks.ts';
import { type TaskRow, toTaskRecord } from '../rows.ts';
import type { OperatorStore, RetryOutcome } from '../types.ts';
import type { Session } from './connection.ts';
import { type Announcer, announce } from './notifications.ts';

/** How a call runs on the store (PostgresStore.run): its retry rule and the session. */
export type Runner = <T>(
  retry: 'never' | 'until-commit' | 'idempotent',
  fn: (s: Session) => Promise<T>,
) => Promise<T>;

async function retry(
  s: Session,
  ids: readonly number[],
  now: number,
  by: string,
  announcer: Announcer | undefined,
): Promise<RetryOutcome[]> {
  const valid = [...new Set(ids.filter(Number.isSafeInteger))];
  const p = s.pipeline().begin();
  const rows = p.run<[retried: boolean, was: TaskStatus, ...task: TaskRow]>('task-retry', [
    valid,
    now,
    by,
  ]);
  await p.send();
  const found = new Map<number, RetryOutcome>();
  for (const [retried, was, ...row] of rows.rows) {
    const task = toTaskRecord(row);
    found.set(
      task.id,
      retried ? { ok: true, task, was } : { ok: false, reason: 'not_retryable', status: was },
    );
  }
  const done = [...found.values()].filter((o) => o.ok).map((o) => (o.ok ? o.task.id : 0));
  const second = s.pipeline();
  if (done.length > 0) announce(second, announcer, { ready: true, ids: done });
  await second.commit().send();
  return ids.map((id) => found.get(id) ?? { ok: false, reason: 'not_found' });
}

async function setPaused(
  s: Session,
  type: string,
  paused: boolean,
  now: number,
  announcer: Announcer | undefined,
): Promise<boolean> {
  const p = s.pipeline().begin();
  const rows = paused
    ? p.run<{ type: string }>('paused-put', [type, now])
    : p.run<{ type: string }>('paused-remove', [type]);
  await p.send();
  const changed = rows.rows.length > 0;
  const second = s.pipeline();
  if (changed) announce(second, announcer, { ready: !paused, ids: [], paused: true });
  await second.commit().send();
  return changed;
}

/** The operator operations, run through the store's `run` with its announcer. */
export function postgresOperator(
  run: Runner,
  announcer: () => Announcer | undefined,
): OperatorStore {
  return {
    retry: (ids, now, by) => run('never', (s) => retry(s, ids, now, by, announcer())),
    setPaused: (type, paused, now) =>
      run('never', (s) => setPaused(s, type, paused, now, announcer())),
    pausedTypes: () =>
      run('idempotent', async (s) => {
        const p = s.pipeline();
        const rows = p.run<{ type: string }>('paused-list', []);
        await p.send();
        return rows.rows.map((r) => r.type);
      }),
  };
}
