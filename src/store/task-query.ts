/** A task list's filters and page, as `Store.listTasks` takes them. */
import type { TaskStatus } from '../model/tasks.ts';

/** Where a page of a task list starts: below this task's id (the list is newest first). */
export interface TaskCursor {
  id: number;
}

/** A task list's filters and page (see `Store.listTasks`). */
export interface TaskQuery {
  /** Any of these statuses. */
  statuses?: readonly TaskStatus[];
  type?: string;
  /** Created at or after (ms). */
  from?: number;
  /** Created before (ms). */
  to?: number;
  /** The id, or a substring (any case) of the data, result, error or key. */
  q?: string;
  /** The page after this task; the newest tasks when left out. */
  before?: TaskCursor;
  limit: number;
  /**
   * Tasks a page reads at most (of those in the time range, after the cursor): a sparse
   * filter's page ends there, with `next` to read on from.
   */
  scan: number;
}
