/** The PostgreSQL store's reads for operators: counts by type, queue age, task lists. */
import type { TaskStatus } from '../../model/tasks.ts';
import { type TaskRow, toTaskRecord } from '../rows.ts';
import { boundTimes, checkListQuery, listParams, pageOf } from '../task-lists.ts';
import type { TaskPage, TaskQuery } from '../types.ts';
import type { Session } from './connection.ts';

export async function countsByType(
  s: Session,
  afterId: number,
  toId: number,
): Promise<{ type: string; status: TaskStatus; n: number }[]> {
  const p = s.pipeline();
  const rows = p.run<{ type: string; status: TaskStatus; n: number }>('counts-by-type', [
    afterId,
    toId,
  ]);
  await p.send();
  return rows.rows;
}

export async function maxTaskId(s: Session): Promise<number> {
  const p = s.pipeline();
  const rows = p.run<{ id: number }>('task-max-id', []);
  await p.send();
  return rows.rows[0]?.id ?? 0;
}

export async function oldestReady(
  s: Session,
  types: readonly string[],
  now: number,
): Promise<{ type: string; readyAt: number }[]> {
  if (types.length === 0) return [];
  const p = s.pipeline();
  const rows = p.run<{ type: string; run_at: number }>('oldest-ready', [[...new Set(types)], now]);
  await p.send();
  return rows.rows.map((r) => ({ type: r.type, readyAt: r.run_at }));
}

/**
 * A page of tasks: the window's matches and where the window ends, in one round trip (the
 * end is used only when the page is short); a time range's ids first, in one more (a
 * bisection each, see task-id-at.sql).
 */
export async function listTasks(s: Session, query: TaskQuery): Promise<TaskPage> {
  checkListQuery(query); // before anything is read
  const q = listParams(query, await idBounds(s, boundTimes(query)));
  const { below, atLeast, from, to, scan } = q;
  const p = s.pipeline();
  const rows = p.run<TaskRow>(q.failedOnly ? 'task-list-failed' : 'task-list', [
    below,
    atLeast,
    from,
    to,
    q.type,
    q.statuses,
    q.q,
    scan,
    q.limit,
  ]);
  const end = p.run<{ id: number }>(q.failedOnly ? 'task-list-failed-end' : 'task-list-end', [
    below,
    atLeast,
    from,
    to,
    scan,
  ]);
  await p.send();
  const last = end.rows[0];
  return pageOf(rows.rows.map(toTaskRecord), q.limit, last && { id: last.id });
}

/** The ids where tasks created at these times begin (task-id-at.sql); none for no time. */
async function idBounds(
  s: Session,
  times: { from?: number; to?: number },
): Promise<{ from?: number; to?: number }> {
  if (times.from === undefined && times.to === undefined) return {};
  const p = s.pipeline();
  const from =
    times.from === undefined ? undefined : p.run<{ id: number }>('task-id-at', [times.from]);
  const to = times.to === undefined ? undefined : p.run<{ id: number }>('task-id-at', [times.to]);
  await p.send();
  return { from: from?.rows[0]?.id, to: to?.rows[0]?.id };
}
