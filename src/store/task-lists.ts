/** What both stores share of a task list: its normalized parameters, and how a page ends. */
import type { TaskCursor, TaskPage, TaskQuery, TaskRecord } from './types.ts';

/** A task list's parameters as the statements take them (see task-list.sql). */
export interface ListParams {
  beforeAt: number;
  beforeId: number;
  from: number;
  to: number;
  type: string | null;
  statuses: string[] | null;
  q: string | null;
  scan: number;
  limit: number;
  /** Only failed tasks: the statements of the partial index tasks_failed (finished, with an error). */
  failedOnly: boolean;
}

const MAX = Number.MAX_SAFE_INTEGER;

/** The statements' parameters of a query; a limit or scan out of range is a RangeError. */
export function listParams(query: TaskQuery): ListParams {
  const { limit, scan } = query;
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`bad limit: ${limit}`);
  if (!Number.isInteger(scan) || scan < limit) throw new RangeError(`bad scan: ${scan}`);
  const statuses = query.statuses && query.statuses.length > 0 ? [...query.statuses] : null;
  const failedOnly = statuses?.every((s) => s === 'failed') ?? false;
  return {
    beforeAt: query.before?.createdAt ?? MAX,
    beforeId: query.before?.id ?? MAX,
    from: query.from ?? 0,
    to: query.to ?? MAX,
    type: query.type ?? null,
    statuses,
    q: query.q ? query.q.toLowerCase() : null,
    scan,
    limit,
    failedOnly,
  };
}

/**
 * The page of the tasks matched: a full page continues after its last task; a shorter one
 * after the window it read (`windowEnd`, undefined when it read the last task).
 */
export function pageOf(tasks: TaskRecord[], limit: number, windowEnd?: TaskCursor): TaskPage {
  const last = tasks.at(-1);
  if (tasks.length >= limit && last) {
    return { tasks, next: { createdAt: last.createdAt, id: last.id } };
  }
  return { tasks, next: windowEnd };
}
