/** The SQLite store's runtime statements, one `.sql` file each in `sql/`, prepared once. */
import type Database from 'better-sqlite3';
import { TASK_COLUMNS } from '../rows.ts';
import { loadSqlDir } from '../sql-files.ts';

const SQL_DIR = new URL('./sql/', import.meta.url);

/** Every statement file the store runs; `prepareStatements` checks the folder matches. */
const NAMES = [
  'attempt-insert',
  'attempt-release',
  'attempts-of-task',
  'claim-candidates',
  'counts',
  'counts-by-type',
  'next-run-at',
  'oldest-ready',
  'paused-list',
  'paused-put',
  'paused-remove',
  'prune-attempts',
  'prune-scan',
  'prune-tally',
  'prune-tally-age',
  'prune-tally-tasks',
  'prune-tasks',
  'retries-of-task',
  'retry-insert',
  'schedule-get',
  'schedule-put',
  'schedule-remove',
  'schedule-ticked',
  'schedules-due',
  'schedules-list',
  'schedules-next',
  'store-state-get',
  'store-state-set',
  'task-by-key',
  'task-cancel',
  'task-complete',
  'task-done',
  'task-fail',
  'task-get',
  'task-id-at',
  'task-insert',
  'task-insert-leased',
  'task-list',
  'task-list-end',
  'task-list-failed',
  'task-list-failed-end',
  'task-max-id',
  'task-insert-options',
  'task-key-release',
  'task-lease',
  'task-progress',
  'task-release',
  'task-retry',
  'task-state',
  'task-status',
  'tasks-enqueue-due',
  'tasks-lease',
  'tasks-leased',
  'tally-by-name',
  'tally-insert',
  'tally-latest',
  'tally-max-id',
  'tally-summary',
  'tally-task-insert',
  'tally-workers',
  'types-declare',
  'types-list',
] as const;

/** Statements whose callers want the first column's value rather than a row object. */
const PLUCKED: ReadonlySet<StatementName> = new Set([
  'next-run-at',
  'oldest-ready',
  'paused-list',
  'schedules-next',
  'store-state-get',
  'task-id-at',
  'task-max-id',
  'task-status',
  'tally-by-name',
  'tally-latest',
  'tally-max-id',
  'tally-workers',
  'types-list',
]);

/** Statements read as arrays (cheaper than objects), with the columns their mapping expects. */
const RAW: Partial<Record<StatementName, readonly string[]>> = {
  'task-get': TASK_COLUMNS,
  'task-list': TASK_COLUMNS,
  'task-list-failed': TASK_COLUMNS,
  'claim-candidates': [
    'id',
    'type',
    'data',
    'reps',
    'attempts',
    'error',
    'priority',
    'key',
    'schedule',
    'run_at',
    'timeout_ms',
  ],
  'prune-scan': ['id', 'type', 'status', 'finished_at', 'key_held', 'tally_id'],
  'task-by-key': ['id', 'finished_at'],
  'task-state': ['id', 'type', 'status', 'reps', 'units_done', 'units_leased', 'error'],
};

export type StatementName = (typeof NAMES)[number];
export type Statements = Record<StatementName, Database.Statement>;

/** Prepares every statement of `sql/` on `db`; fails on a missing or an unknown file. */
export function prepareStatements(db: Database.Database): Statements {
  const files = loadSqlDir(SQL_DIR);
  const known = new Set<string>(NAMES);
  const unknown = [...files.keys()].filter((name) => !known.has(name));
  if (unknown.length > 0) throw new Error(`unknown statement files: ${unknown.join(', ')}`);
  const statements = {} as Statements;
  for (const name of NAMES) {
    const sql = files.get(name);
    if (sql === undefined) throw new Error(`missing statement file sql/${name}.sql`);
    const statement = db.prepare(sql);
    const columns = RAW[name];
    if (columns) {
      const actual = statement.columns().map((c) => c.name);
      if (actual.join() !== columns.join()) {
        throw new Error(`sql/${name}.sql must select ${columns.join(', ')}; it selects ${actual}`);
      }
      statement.raw();
    }
    if (PLUCKED.has(name)) statement.pluck();
    statements[name] = statement;
  }
  return statements;
}
