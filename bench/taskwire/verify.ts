/**
 * Checks a run in the server's SQLite file once the server has stopped: a run whose tasks
 * did not end as expected is an error, not a figure.
 */
import Database from 'better-sqlite3';
import { TASK_STATUSES, type TaskStatus } from '../../src/protocol/tasks.ts';

export type StatusCounts = Record<TaskStatus, number>;

/** How many tasks the file holds in each status. */
export function statusCounts(db: string): StatusCounts {
  const conn = new Database(db, { readonly: true, fileMustExist: true });
  try {
    const rows = conn.prepare('SELECT status, count(*) AS n FROM tasks GROUP BY status').all() as {
      status: TaskStatus;
      n: number;
    }[];
    const counts = Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as StatusCounts;
    for (const row of rows) counts[row.status] = row.n;
    return counts;
  } finally {
    conn.close();
  }
}

/** Throws unless each status has exactly the expected count (0 where none is given). */
export function expectCounts(db: string, expected: Partial<StatusCounts>): StatusCounts {
  const counts = statusCounts(db);
  const wrong = TASK_STATUSES.filter((s) => counts[s] !== (expected[s] ?? 0));
  if (wrong.length > 0) {
    const want = TASK_STATUSES.map((s) => `${s} ${expected[s] ?? 0}`).join(', ');
    const got = TASK_STATUSES.map((s) => `${s} ${counts[s]}`).join(', ');
    throw new Error(`verification failed: expected ${want}; the database holds ${got}`);
  }
  return counts;
}
