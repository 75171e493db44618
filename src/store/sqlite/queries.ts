/** The SQLite store's reads for operators: counts by type, queue age, task lists. */
import type { TaskStatus } from '../../model/tasks.ts';
import { type TaskRow, toTaskRecord } from '../rows.ts';
import { boundTimes, checkListQuery, listParams, pageOf } from '../task-lists.ts';
import type { TaskCursor, TaskPage, TaskQuery } from '../types.ts';
import type { Statements } from './statements.ts';

export function countsByType(
  st: Statements,
  afterId: number,
  toId: number,
): { type: string; status: TaskStatus; n: number }[] {
  return st['counts-by-type'].all({ afterId, toId }) as {
    type: string;
    status: TaskStatus;
    n: number;
  }[];
}

export function maxTaskId(st: Statements): number {
  return st['task-max-id'].get() as number;
}

export function oldestReady(
  st: Statements,
  types: readonly string[],
  now: number,
): { type: string; readyAt: number }[] {
  const out: { type: string; readyAt: number }[] = [];
  for (const type of new Set(types)) {
    const readyAt = st['oldest-ready'].get(type, now) as number | undefined;
    if (readyAt !== undefined) out.push({ type, readyAt });
  }
  return out;
}

/**
 * A page of tasks: the ids of the time range (a bisection each, see task-id-at.sql), the
 * window's matches, then (for a short page) where the window ended.
 */
export function listTasks(st: Statements, query: TaskQuery): TaskPage {
  checkListQuery(query); // before anything is read
  const times = boundTimes(query);
  const idAt = (at: number | undefined) =>
    at === undefined ? undefined : (st['task-id-at'].get({ at }) as number);
  const { failedOnly, statuses, ...p } = listParams(query, {
    from: idAt(times.from),
    to: idAt(times.to),
  });
  const list = st[failedOnly ? 'task-list-failed' : 'task-list'];
  const end = st[failedOnly ? 'task-list-failed-end' : 'task-list-end'];
  const rows = list.all({ ...p, statuses: statuses && JSON.stringify(statuses) }) as TaskRow[];
  const tasks = rows.map(toTaskRecord);
  if (tasks.length >= p.limit) return pageOf(tasks, p.limit);
  const { below, atLeast, from, to, scan } = p;
  const last = end.get({ below, atLeast, from, to, scan }) as { id: number } | undefined;
  const windowEnd: TaskCursor | undefined = last && { id: last.id };
  return pageOf(tasks, p.limit, windowEnd);
}
