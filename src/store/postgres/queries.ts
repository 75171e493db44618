/** The PostgreSQL store's reads for operators: counts by type, queue age, task lists. */
import type { TaskStatus } from '../../model/tasks.ts';
import { type TaskRow, toTaskRecord } from '../rows.ts';
import { listParams, pageOf } from '../task-lists.ts';
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
 * end is used only when the page is short).
 */
export async function listTasks(s: Session, query: TaskQuery): Promise<TaskPage> {
  const q = listParams(query);
  const { beforeAt, beforeId, from, to, scan } = q;
  const p = s.pipeline();
  const rows = p.run<TaskRow>(q.failedOnly ? 'task-list-failed' : 'task-list', [
    beforeAt,
    beforeId,
    from,
    to,
    q.type,
    q.statuses,
    q.q,
    scan,
    q.limit,
  ]);
  const end = p.run<{ created_at: number; id: number }>(
    q.failedOnly ? 'task-list-failed-end' : 'task-list-end',
    [beforeAt, beforeId, from, to, scan],
  );
  await p.send();
  const last = end.rows[0];
  const windowEnd = last && { createdAt: last.created_at, id: last.id };
  return pageOf(rows.rows.map(toTaskRecord), q.limit, windowEnd);
}
