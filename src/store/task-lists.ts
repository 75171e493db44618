/** What both stores share of a task list: its normalized parameters, and how a page ends. */
import type { TaskCursor, TaskPage, TaskQuery, TaskRecord } from './types.ts';

/** A task list's parameters as the statements take them (see task-list.sql). */
export interface ListParams {
  /** Ids below this: the cursor's, or the time range's end (see `idBounds`). */
  below: number;
  /** Ids at or above this: the time range's start. */
  atLeast: number;
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

/**
 * How far apart the servers' clocks may be for a time range to stay exact. The list walks
 * ids; a range's ids are read (task-id-at.sql) for the range widened by this much on both
 * sides, and created_at is matched exactly within them: a task whose created_at is out of id
 * order by less than this is still listed where it belongs. On one server created_at follows
 * the ids unless the clock steps back (each batch is stamped when it opens, and batches are
 * written in order); servers sharing a database stamp with their own clocks (NTP keeps them
 * milliseconds apart) and draw ids when a batch is written (tens of milliseconds later under
 * load). A page may pass over the tasks of this margin at the range's ends (a second of
 * submits each).
 */
export const CLOCK_MARGIN_MS = 1_000;

/** Which times a query's id bounds are read for: undefined for no bound on that side. */
export function boundTimes(query: TaskQuery): { from?: number; to?: number } {
  return {
    ...(query.from !== undefined && { from: query.from - CLOCK_MARGIN_MS }),
    ...(query.to !== undefined && { to: query.to + CLOCK_MARGIN_MS }),
  };
}

/** Refuses a bad limit or scan (RangeError): the stores call it before they read anything. */
export function checkListQuery({ limit, scan }: TaskQuery): void {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`bad limit: ${limit}`);
  if (!Number.isInteger(scan) || scan < limit) throw new RangeError(`bad scan: ${scan}`);
}

/**
 * The statements' parameters of a query (checked by `checkListQuery` first), with the ids its
 * time range starts and ends at (task-id-at.sql for `boundTimes`; left out: no bound).
 */
export function listParams(query: TaskQuery, ids: { from?: number; to?: number } = {}): ListParams {
  const { limit, scan } = query;
  const statuses = query.statuses && query.statuses.length > 0 ? [...query.statuses] : null;
  const failedOnly = statuses?.every((s) => s === 'failed') ?? false;
  return {
    below: Math.min(query.before?.id ?? MAX, ids.to ?? MAX),
    atLeast: ids.from ?? 0,
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
    return { tasks, next: { id: last.id } };
  }
  return { tasks, next: windowEnd };
}
