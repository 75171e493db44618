/**
 * Checks a run in the servers' database once they have stopped (the SQLite file, or the
 * PostgreSQL database's tasks table): a run whose tasks did not end as expected is an
 * error, not a figure.
 */
import Database from 'better-sqlite3';
import { TASK_STATUSES, type TaskStatus } from '../../src/model/tasks.ts';
import { type RunStore, withPg } from './store.ts';

export type StatusCounts = Record<TaskStatus, number>;

const COUNT_SQL = 'SELECT status, count(*) AS n FROM tasks GROUP BY status';

function sqliteRows(path: string): { status: string; n: number }[] {
  const conn = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return conn.prepare(COUNT_SQL).all() as { status: string; n: number }[];
  } finally {
    conn.close();
  }
}

/** How many tasks the store holds in each status. */
export async function statusCounts(store: RunStore): Promise<StatusCounts> {
  const rows =
    store.kind === 'sqlite'
      ? sqliteRows(store.path)
      : await withPg(store.url, async (client) => {
          const result = await client.query<{ status: string; n: string }>(COUNT_SQL);
          return result.rows.map((r) => ({ status: r.status, n: Number(r.n) }));
        });
  const counts = Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as StatusCounts;
  for (const row of rows) {
    if (!(TASK_STATUSES as readonly string[]).includes(row.status)) {
      throw new Error(`verification failed: ${row.n} task(s) in unknown status "${row.status}"`);
    }
    counts[row.status as TaskStatus] = row.n;
  }
  return counts;
}

/** Throws unless each status has exactly the expected count (0 where none is given). */
export async function expectCounts(
  store: RunStore,
  expected: Partial<StatusCounts>,
): Promise<StatusCounts> {
  const counts = await statusCounts(store);
  const wrong = TASK_STATUSES.filter((s) => counts[s] !== (expected[s] ?? 0));
  if (wrong.length > 0) {
    const want = TASK_STATUSES.map((s) => `${s} ${expected[s] ?? 0}`).join(', ');
    const got = TASK_STATUSES.map((s) => `${s} ${counts[s]}`).join(', ');
    throw new Error(`verification failed: expected ${want}; the database holds ${got}`);
  }
  return counts;
}
